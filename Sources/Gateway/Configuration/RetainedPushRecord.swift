import Crypto
import DeviceIdentity
import Foundation
import HostSystem
import SpringCore

/// Which `cfg/set` message the device took last. A retained message comes back at every
/// subscription, so at every reboot: applied each time, it would reboot the device in a loop, or
/// undo every later push from elsewhere. The SHA-256 of each message taken is kept in
/// `cfg-set.retained.sha256` before it is applied, whether it came live (a retained publication
/// reaches a listening device live first) or retained, and a retained delivery of the same
/// message is not applied again, even after a crash in the middle of its trial.
struct RetainedPushRecord {
    let path: String

    init(state: DeviceStateDirectory) { path = state.file("cfg-set.retained.sha256") }

    /// Why `content` is not to be applied (a retained repeat), or nil after remembering it. A
    /// record that cannot be written is a reason too: a message that could not be remembered
    /// might start the loop this record exists to stop.
    func take(_ content: [UInt8], _ delivery: ConfigurationPush.BrokerDelivery) -> String? {
        let digest = Self.digest(content)
        if isRepeat(content, delivery) {
            return "this retained message was handled once already; clear it at the broker or publish a new one"
        }
        do {
            try ProtectedFile.write(digest + "\n", to: path, mode: 0o600)
        } catch {
            return "cannot remember having handled it (\(error)), so it is not applied"
        }
        return nil
    }

    /// Whether `content` is the retained message taken last, delivered again: nothing to apply,
    /// and nothing for a trial under way to give way to.
    func isRepeat(_ content: [UInt8], _ delivery: ConfigurationPush.BrokerDelivery) -> Bool {
        let last = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        return delivery == .retained && last == Self.digest(content)
    }

    private static func digest(_ content: [UInt8]) -> String { Hex.encode(SHA256.hash(data: content)) }
}

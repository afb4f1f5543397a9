import DeviceIdentity
import Foundation
import HostSystem

/// A pushed configuration on trial: written and rebooted into, but not yet proven by a
/// connection to the broker. It is kept on disk (`config.trial.json`, beside
/// `config.last-good.json`) so that a daemon killed or stopped during the trial resumes it at
/// its next start instead of running an unproven configuration for ever.
struct ConfigurationTrial: Codable, Sendable, Equatable {
    /// Where the configuration came from, for messages.
    var source: String
    var configID: String
    /// When the broker must have been reached, or the last known good configuration comes back.
    var deadline: Date

    enum CodingKeys: String, CodingKey {
        case source = "Source", configID = "ConfigId", deadline = "Deadline"
    }

    static func path(in state: DeviceStateDirectory) -> String { state.file("config.trial.json") }

    func save(in state: DeviceStateDirectory) throws(GatewayError) {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        do {
            try ProtectedFile.write(Array(try encoder.encode(self)), to: Self.path(in: state), mode: 0o600)
        } catch let error as FileError {
            throw .stateDirectory(path: state.path, reason: error.description)
        } catch {
            throw .stateDirectory(path: state.path, reason: "cannot record the trial of \(source): \(error)")
        }
    }

    /// The trial a previous run left, if any. A record that cannot be read still means a trial
    /// was under way: it comes back as one that has run out, so the last known good returns.
    static func load(in state: DeviceStateDirectory) -> ConfigurationTrial? {
        let path = Self.path(in: state)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = FileManager.default.contents(atPath: path), let trial = try? decoder.decode(Self.self, from: data) else {
            return ConfigurationTrial(source: "\(path) (unreadable)", configID: "", deadline: .distantPast)
        }
        return trial
    }

    static func end(in state: DeviceStateDirectory) {
        unlink(path(in: state))
    }

    /// How long a resumed trial still has: what was left of it, but at least `floor`, so that
    /// a configuration whose trial a restart cut short gets one full connection attempt.
    func remaining(at now: Date = Date(), atLeast floor: Duration, atMost ceiling: Duration) -> Duration {
        let left = deadline.timeIntervalSince(now)
        let seconds = left.isFinite ? max(0, min(left, Double(ceiling.components.seconds))) : 0
        return max(.milliseconds(Int64(seconds * 1000)), min(floor, ceiling))
    }
}

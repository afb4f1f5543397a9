import Foundation
import SpringCore

/// The ConfigId of each META a watcher saw from device `serial`, in order: one a boot; "" for a
/// META that leaves it out (register 0200 empty).
func configIDs(_ observer: Subscriber, serial: String = "DA1275B0") -> [String] {
    observer.payloads(onTopicEndingWith: "\(serial)/meta").compactMap { payload in
        guard case .object(let fields)? = try? JSONParser.parse(Array(payload.utf8)) else { return nil }
        return fields["ConfigId"]?.stringValue ?? ""
    }
}

extension BrokerFixture {
    /// Writes `text` to NAME in the fixture's directory and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = (directory as NSString).appendingPathComponent(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A CONFIG-DATA merge that points the broker port (register 0285) at `port` and sets ConfigId.
    func portPush(port: Int, configID: String) throws -> String {
        let ports = Hex.encode([UInt8](repeating: 0, count: 10) + [UInt8(port >> 8), UInt8(port & 0xFF), 0, 0])
        return try file("\(configID).json", #"{"config": {"00.s": "\#(configID)", "85": "\#(ports)"}}"#)
    }
}

/// The topics of one device: `{prefix}/{id}/...` with the prefix from register 028E and the id
/// from the Device ID register 028F (the serial number when that is empty).
public struct DeviceTopics: Sendable, Equatable {
    public let prefix: String
    public let deviceID: String

    public init(prefix: String, deviceID: String) {
        self.prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.deviceID = deviceID
    }

    private var base: String { prefix.isEmpty ? deviceID : "\(prefix)/\(deviceID)" }

    public var meta: String { "\(base)/meta" }
    public var status: String { "\(base)/status" }
    public var readerEvent: String { "\(base)/rdr/evt" }
    public var readerCommand: String { "\(base)/rdr/cmd" }
    /// Configuration pushed by MQTT, and what became of it (an emulator extension, off by default).
    public var configurationSet: String { "\(base)/cfg/set" }
    public var configurationResult: String { "\(base)/cfg/result" }
    /// The doctor's probe topic (an emulator extension; nothing subscribes to it).
    public var doctor: String { "\(base)/doctor" }
    /// Everything the device may publish or subscribe to, for ACLs and observers.
    public var all: String { "\(base)/#" }
}

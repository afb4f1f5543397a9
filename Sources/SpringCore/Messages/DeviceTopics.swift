/// The topics of one device: `{prefix}/{id}/...` with the prefix from register 028E and the id
/// from the Device ID register 028F (the serial number when that is empty).
///
/// Each topic is made once, when the device's settings are: the reader event's is used for every
/// tag read, and one string shared by every event costs neither an allocation per event nor a
/// topic check per event in the MQTT session (the same storage compares equal at once).
public struct DeviceTopics: Sendable, Equatable {
    public let prefix: String
    public let deviceID: String
    public let meta: String
    public let status: String
    public let readerEvent: String
    public let readerCommand: String
    /// Configuration pushed by MQTT, and what became of it (an emulator extension, off by default).
    public let configurationSet: String
    public let configurationResult: String
    /// The doctor's probe topic (an emulator extension; nothing subscribes to it).
    public let doctor: String
    /// Everything the device may publish or subscribe to, for ACLs and observers.
    public let all: String

    public init(prefix: String, deviceID: String) {
        let prefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix
        self.prefix = prefix
        self.deviceID = deviceID
        let base = prefix.isEmpty ? deviceID : "\(prefix)/\(deviceID)"
        meta = "\(base)/meta"
        status = "\(base)/status"
        readerEvent = "\(base)/rdr/evt"
        readerCommand = "\(base)/rdr/cmd"
        configurationSet = "\(base)/cfg/set"
        configurationResult = "\(base)/cfg/result"
        doctor = "\(base)/doctor"
        all = "\(base)/#"
    }
}

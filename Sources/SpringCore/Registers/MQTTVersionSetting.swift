/// Which MQTT version the device speaks: "mqtt-version" in the emulator's own section, since
/// the vendor documents no register for it. `auto` connects with 5.0 and falls back to 3.1.1
/// when the broker refuses 5.0 or closes the connection on its CONNECT; "5" and "3.1.1" pin one.
public enum MQTTVersionSetting: String, Sendable, CaseIterable {
    case auto
    case v5 = "5"
    case v3_1_1 = "3.1.1"

    public static let key = "mqtt-version"
    static let accepted = allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")

    static func read(from data: ConfigData) throws(ConfigurationError) -> MQTTVersionSetting {
        let section = DeviceConfiguration.emulatorSection
        guard case .object(let fields)? = data.otherSections[section], let value = fields[key] else { return .auto }
        guard let setting = value.stringValue.flatMap(MQTTVersionSetting.init(rawValue:)) else {
            throw .badSection(section, reason: "\"\(key)\" must be one of \(accepted)")
        }
        return setting
    }

    /// Writes the setting into the emulator section, keeping the section's other members.
    static func write(_ value: String, into data: inout ConfigData) -> Bool {
        guard MQTTVersionSetting(rawValue: value) != nil else { return false }
        let section = DeviceConfiguration.emulatorSection
        var fields: JSONObject
        switch data.otherSections[section] {
        case nil: fields = JSONObject()
        case .object(let existing)?: fields = existing
        default: return false
        }
        fields[key] = .string(value)
        data.otherSections[section] = .object(fields)
        return true
    }
}

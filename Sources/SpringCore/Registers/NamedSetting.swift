/// A register field under a readable name (`mqtt.keep-alive`), so a configuration can be read
/// and changed without computing hex. Each setting reads and writes its bits in the
/// CONFIG-DATA registers and nothing else.
public struct NamedSetting: Sendable {
    public let name: String
    /// nil for a setting of the emulator's own section, which no register holds.
    public let register: RegisterAddress?
    /// The values accepted, for help and error messages.
    public let accepted: String
    /// A secret (the MQTT password) is never shown: not its value, its register's bytes, nor a refused value.
    public let secret: Bool
    private let read: @Sendable (ConfigData) -> String
    private let write: @Sendable (inout ConfigData, String) -> Bool

    init(
        _ name: String, _ register: RegisterAddress?, accepted: String, secret: Bool = false,
        read: @escaping @Sendable (ConfigData) -> String, write: @escaping @Sendable (inout ConfigData, String) -> Bool
    ) {
        self.name = name
        self.register = register
        self.accepted = accepted
        self.secret = secret
        self.read = read
        self.write = write
    }

    public func value(in data: ConfigData) -> String { read(data) }

    /// The register's value as `config set` reports it: hex, or `(set)`/empty for a secret.
    public func registerValue(in data: ConfigData) -> String {
        guard let register else { return "" }
        let bytes = data[register] ?? []
        return secret ? (bytes.isEmpty ? "(empty)" : "(set)") : Hex.encode(bytes)
    }

    public func set(_ value: String, in data: inout ConfigData) throws(NamedSettingError) {
        guard write(&data, value) else {
            throw secret ? .badSecret(setting: name, accepted: accepted) : .badValue(setting: name, value: value, accepted: accepted)
        }
    }

    public static func named(_ name: String) throws(NamedSettingError) -> NamedSetting {
        guard let setting = all.first(where: { $0.name == name }) else { throw .unknown(name, known: all.map(\.name)) }
        return setting
    }
}

public enum NamedSettingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknown(String, known: [String])
    case badValue(setting: String, value: String, accepted: String)
    case badSecret(setting: String, accepted: String)

    public var description: String {
        switch self {
        case .unknown(let name, let known):
            "no setting \"\(name)\"; the settings are: \(known.joined(separator: ", "))"
        case .badValue(let setting, let value, let accepted):
            "\(QuotedToken.quote(value)) is not a value for \(setting); expected \(accepted)"
        case .badSecret(let setting, let accepted):
            "the value given is not one for \(setting) (not shown: it is a secret); expected \(accepted)"
        }
    }
}

extension NamedSetting {
    static func string(_ name: String, _ register: RegisterAddress, secret: Bool = false) -> NamedSetting {
        let limit: Int = if case .atMost(let n) = RegisterLayout.size(of: register) { n } else { 64 }
        return NamedSetting(
            name, register, accepted: "text of at most \(limit) bytes", secret: secret,
            read: { secret ? ($0.string(register).isEmpty ? "" : "(set)") : $0.string(register) },
            write: { data, value in
                guard value.utf8.count <= limit else { return false }
                data.setString(register, value)
                return true
            })
    }

    /// A field of a fixed-size register: `bytes` starts from the register's value or `defaults`.
    static func field(
        _ name: String, _ register: RegisterAddress, defaults: [UInt8], accepted: String,
        get: @escaping @Sendable ([UInt8]) -> String, put: @escaping @Sendable (inout [UInt8], String) -> Bool
    ) -> NamedSetting {
        NamedSetting(
            name, register, accepted: accepted,
            read: { data in get(data[register].flatMap { $0.count == defaults.count ? $0 : nil } ?? defaults) },
            write: { data, value in
                var bytes = data[register].flatMap { $0.count == defaults.count ? $0 : nil } ?? defaults
                guard put(&bytes, value) else { return false }
                data[register] = bytes
                return true
            })
    }

    static func number(_ name: String, _ register: RegisterAddress, defaults: [UInt8], byte: Int, unit: String) -> NamedSetting {
        field(
            name, register, defaults: defaults, accepted: "a number of \(unit) from 0 to 255", get: { String($0[byte]) },
            put: { bytes, value in
                guard let number = UInt8(value) else { return false }
                bytes[byte] = number
                return true
            })
    }

    static func bits(_ name: String, _ register: RegisterAddress, defaults: [UInt8], byte: Int, mask: UInt8, choices: [String])
        -> NamedSetting
    {
        let shift = UInt8(mask.trailingZeroBitCount)
        return field(
            name, register, defaults: defaults, accepted: choices.joined(separator: ", "),
            get: { bytes in
                let index = Int((bytes[byte] & mask) >> shift)
                return index < choices.count ? choices[index] : String(index)
            },
            put: { bytes, value in
                guard let index = choices.firstIndex(of: value) else { return false }
                bytes[byte] = bytes[byte] & ~mask | (UInt8(index) << shift) & mask
                return true
            })
    }

    static func flag(_ name: String, _ register: RegisterAddress, defaults: [UInt8], byte: Int, bit: UInt8) -> NamedSetting {
        bits(name, register, defaults: defaults, byte: byte, mask: 1 << bit, choices: ["off", "on"])
    }

    static func slot(_ name: String, _ register: RegisterAddress, defaults: [UInt8], byte: Int, mask: UInt8) -> NamedSetting {
        field(
            name, register, defaults: defaults, accepted: "a slot number in hex, 00 to \(Hex.encode([mask]))",
            get: { Hex.encode([$0[byte] & mask]) },
            put: { bytes, value in
                guard let slot = Hex.decode(value.count == 1 ? "0" + value : value), slot.count == 1, slot[0] & ~mask == 0 else {
                    return false
                }
                bytes[byte] = bytes[byte] & ~mask | slot[0]
                return true
            })
    }

    /// A one-byte register holding one of a few codes.
    static func mapped(_ name: String, _ register: RegisterAddress, defaults: [UInt8], choices: [(String, UInt8)]) -> NamedSetting {
        field(
            name, register, defaults: defaults, accepted: choices.map(\.0).joined(separator: ", "),
            get: { bytes in choices.first { $0.1 == bytes[0] }?.0 ?? Hex.encode(bytes) },
            put: { bytes, value in
                guard let code = choices.first(where: { $0.0 == value })?.1 else { return false }
                bytes[0] = code
                return true
            })
    }

    static let mqttPort = field(
        "mqtt.port", .networkPorts, defaults: [UInt8](repeating: 0, count: 14),
        accepted: "a port from 1 to 65535, or 0 for 8883 (TLS) or 1883",
        get: { String(NetworkPortsRegister(bytes: $0).mqttPort) },
        put: { bytes, value in
            guard let port = UInt16(value) else { return false }
            bytes[10] = UInt8(port >> 8)
            bytes[11] = UInt8(port & 0xFF)
            return true
        })

    static let mqttVersion = NamedSetting(
        "emulator.mqtt-version", nil, accepted: MQTTVersionSetting.allCases.map(\.rawValue).joined(separator: ", "),
        read: { ((try? MQTTVersionSetting.read(from: $0)) ?? .auto).rawValue },
        write: { data, value in MQTTVersionSetting.write(value, into: &data) })

    /// Everything the emulator adds beyond the device, on or off (`emulator.extensions`).
    static let extensions = NamedSetting(
        "emulator.\(DeviceConfiguration.extensionsKey)", nil, accepted: "on, off",
        read: { ((try? DeviceConfiguration.emulatorFlag(DeviceConfiguration.extensionsKey, in: $0)) ?? nil) ?? true ? "on" : "off" },
        write: { data, value in
            guard value == "on" || value == "off" else { return false }
            var fields: JSONObject
            switch data.otherSections[DeviceConfiguration.emulatorSection] {
            case nil: fields = JSONObject()
            case .object(let existing)?: fields = existing
            default: return false
            }
            fields[DeviceConfiguration.extensionsKey] = .bool(value == "on")
            data.otherSections[DeviceConfiguration.emulatorSection] = .object(fields)
            return true
        })

    /// Every named setting, in the order `config show` prints them.
    public static let all: [NamedSetting] = {
        let options = ClientOptionsRegister.factoryDefault.bytes
        let tls: [UInt8] = [0, 0, 0, 0, 0]
        let qos = ["0", "1", "2"]
        return [
            string("device.config-id", .configID), string("device.inventory", .inventory), string("device.location", .location),
            mapped(
                "device.mode", .mode, defaults: [0x64],
                choices: [("mqtt", 0x64), ("http", 0x14), ("tcp", 0x24), ("hid", 0x03), ("cdc", 0x04)]),
            string("mqtt.broker", .broker), mqttPort,
            string("mqtt.client-id", .clientID), string("mqtt.topic-prefix", .topicPrefix), string("mqtt.device-id", .deviceID),
            string("mqtt.login", .login), string("mqtt.password", .password, secret: true),
            bits("mqtt.subscribe-qos", .clientOptions, defaults: options, byte: 0, mask: 0xC0, choices: qos),
            bits("mqtt.publish-qos", .clientOptions, defaults: options, byte: 0, mask: 0x30, choices: qos),
            flag("mqtt.create-topics", .clientOptions, defaults: options, byte: 0, bit: 2),
            flag("mqtt.will", .clientOptions, defaults: options, byte: 0, bit: 1),
            flag("mqtt.retain", .clientOptions, defaults: options, byte: 0, bit: 0),
            number("mqtt.connect-timeout", .clientOptions, defaults: options, byte: 1, unit: "seconds"),
            number("mqtt.response-timeout", .clientOptions, defaults: options, byte: 2, unit: "seconds"),
            number("mqtt.keep-alive", .clientOptions, defaults: options, byte: 3, unit: "seconds"),
            number("mqtt.status-interval", .clientOptions, defaults: options, byte: 4, unit: "seconds"),
            number("mqtt.reconnect-interval", .clientOptions, defaults: options, byte: 5, unit: "seconds"),
            flag("tls.enabled", .tlsOptions, defaults: tls, byte: 0, bit: 0),
            flag("tls.sni", .tlsOptions, defaults: tls, byte: 0, bit: 1),
            flag("tls.check-name", .tlsOptions, defaults: tls, byte: 0, bit: 2),
            bits(
                "tls.server-check", .tlsOptions, defaults: tls, byte: 0, mask: 0x30,
                choices: ["accept-any", "verify-server", "verify-ca", "verify-pki"]),
            slot("tls.server-ca-slot", .tlsOptions, defaults: tls, byte: 1, mask: 0x0F),
            flag("tls.client-auth", .tlsOptions, defaults: tls, byte: 2, bit: 7),
            slot("tls.client-certificate-slot", .tlsOptions, defaults: tls, byte: 2, mask: 0x0F),
            bits("tls.client-key-store", .tlsOptions, defaults: tls, byte: 3, mask: 0xC0, choices: ["raw", "atecc"]),
            slot("tls.client-key-slot", .tlsOptions, defaults: tls, byte: 3, mask: 0x0F),
            flag("tls.send-client-ca", .tlsOptions, defaults: tls, byte: 4, bit: 7),
            slot("tls.client-ca-slot", .tlsOptions, defaults: tls, byte: 4, mask: 0x0F),
            bits(
                "output.format", .outputFormats, defaults: SmartReaderFeatures.factoryDefault, byte: 3, mask: 0x07,
                choices: ["tlv", "scrdr", "json", "mk1"]),
            mqttVersion, extensions,
        ]
    }()
}

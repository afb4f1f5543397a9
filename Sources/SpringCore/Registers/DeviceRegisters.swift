/// Registers 0200-0202: labels the backend gives the device, echoed in META.
public struct DeviceLabels: Sendable, Equatable {
    public var configID: String
    public var inventory: String
    public var location: String

    public init(_ data: ConfigData) {
        configID = data.string(.configID)
        inventory = data.string(.inventory)
        location = data.string(.location)
    }
}

/// Registers 028D-028F: how the device names itself on the broker. Empty values fall back to
/// the certificate's CN (client ID) and the serial number (device ID). The prefix and the
/// Device ID become the device's topics (`{prefix}/{id}/...`, see `DeviceTopics`), so they are
/// held to MQTT's rules for topic names here, on every way a configuration comes in.
public struct MQTTNaming: Sendable, Equatable {
    public var clientID: String
    public var topicPrefix: String
    public var deviceID: String

    public init(_ data: ConfigData) throws(ConfigurationError) {
        let prefix = data[.topicPrefix] ?? []
        if let fault = TopicNameRules.fault(in: prefix, separatorsAllowed: true, startsTopic: true) {
            throw .badRegister(.topicPrefix, reason: "(topic prefix) \(fault)")
        }
        // DeviceTopics drops one trailing "/"; with nothing left, the Device ID starts the topic.
        let prefixIsEmpty = prefix.isEmpty || prefix == [UInt8(ascii: "/")]
        if let fault = TopicNameRules.fault(in: data[.deviceID] ?? [], separatorsAllowed: false, startsTopic: prefixIsEmpty) {
            throw .badRegister(.deviceID, reason: "(Device ID) \(fault)")
        }
        clientID = data.string(.clientID)
        topicPrefix = data.string(.topicPrefix)
        deviceID = data.string(.deviceID)
    }
}

/// Registers 028B/028C, sent in CONNECT when set (brokers that want a password as well as a certificate).
public struct MQTTCredentials: Sendable, Equatable {
    public var login: String?
    public var password: [UInt8]?

    public init(_ data: ConfigData) {
        login = data.string(.login).isEmpty ? nil : data.string(.login)
        password = (data[.password] ?? []).isEmpty ? nil : data[.password]
    }
}

/// Register 02A1, "Smart Reader timings", two bytes in tenths of a second, factory value
/// `0A1E` (SpringCard's register map, springcard/springcore-xmlfiles config/springpark.xml):
/// byte 0 the delay between two consecutive readings, byte 1 the delay before the same tag is
/// reported again, `FF` meaning not until it has left the field. 0 is "as quickly as possible".
public struct ReadDelaysRegister: Sendable, Equatable {
    public var readInterval: Duration
    /// nil: the same tag is reported again only after it has been removed (byte 1 = FF).
    public var repeatInterval: Duration?

    public static let factoryDefault: [UInt8] = [0x0A, 0x1E]
    static let untilRemoved: UInt8 = 0xFF

    public init(bytes: [UInt8]) throws(ConfigurationError) {
        guard bytes.isEmpty || bytes.count == 2 else {
            throw .badRegister(
                .readDelays,
                reason: "holds 2 bytes (delay between readings, delay before the same tag again, in tenths of a second), got \(bytes.count)"
            )
        }
        let value = bytes.isEmpty ? Self.factoryDefault : bytes
        readInterval = .milliseconds(Int(value[0]) * 100)
        repeatInterval = value[1] == Self.untilRemoved ? nil : .milliseconds(Int(value[1]) * 100)
    }
}

/// A keyboard layout family: what a HID reader types in, and what a keyboard-mode device is
/// set to (register 02A6).
public enum KeyboardLayout: String, Sendable, CaseIterable {
    case qwerty, azerty, qwertz

    /// Register 02A6's codes, from SpringCard's register map (springcard/springcore-xmlfiles
    /// config/springpark.xml): twelve national layouts, each of one of the three families.
    public static let registerCodes: [(name: String, family: KeyboardLayout)] = [
        ("US", .qwerty), ("French", .azerty), ("German", .qwertz), ("French laptop", .azerty),
        ("English extended", .qwerty), ("French extended", .azerty), ("German extended", .qwertz),
        ("Spanish extended", .qwerty), ("Italian extended", .qwerty), ("Japanese extended", .qwerty),
        ("Swedish extended", .qwerty), ("Polish extended", .qwerty),
    ]
}

/// Registers 02A6/02A8/02A9: what a HID keyboard-mode device types around an identifier.
public struct KeyboardOutput: Sendable, Equatable {
    /// Register 02A6 as written, 00 to 0B.
    public var layoutCode: UInt8
    public var layout: KeyboardLayout
    public var prefix: [UInt8]
    public var suffix: [UInt8]

    public init(_ data: ConfigData) throws(ConfigurationError) {
        let code = data[.keyboardLayout]?.first ?? 0
        guard Int(code) < KeyboardLayout.registerCodes.count else {
            throw .badRegister(
                .keyboardLayout,
                reason: "is \(Hex.encode([code])); use 00 to 0B (00 US QWERTY, 01 French AZERTY, 02 German QWERTZ, ...)")
        }
        layoutCode = code
        layout = KeyboardLayout.registerCodes[Int(code)].family
        prefix = data[.keyboardPrefix] ?? []
        suffix = data[.keyboardSuffix].flatMap { $0.isEmpty ? nil : $0 } ?? [0x0A]
    }
}

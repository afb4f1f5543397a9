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

/// Register 02C0: what the device is. Only the MQTT Smart Reader is emulated.
public enum DeviceMode: UInt8, Sendable, CaseIterable {
    case mqttSmartReader = 0x64
    case httpClient = 0x14
    case tcpServer = 0x24
    case hidKeyboard = 0x03
    case serial = 0x04
}

/// Registers 028D-028F: how the device names itself on the broker. Empty values fall back to
/// the certificate's CN (client ID) and the serial number (device ID).
public struct MQTTNaming: Sendable, Equatable {
    public var clientID: String
    public var topicPrefix: String
    public var deviceID: String

    public init(_ data: ConfigData) {
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

/// Register 02A1, two bytes in tenths of a second (layout a project choice; the reference
/// names the register only): byte 0 how long the same tag is not reported again after an
/// Insert, byte 1 reserved for the Remove delay of live readers and kept as written.
public struct ReadDelaysRegister: Sendable, Equatable {
    public var repeatHoldOff: Duration
    public var removeDelay: Duration

    public static let factoryDefault: [UInt8] = [0, 0]

    public init(bytes: [UInt8]) throws(ConfigurationError) {
        guard bytes.isEmpty || bytes.count == 2 else {
            throw .badRegister(
                .readDelays, reason: "holds 2 bytes (repeat hold-off, remove delay, in tenths of a second), got \(bytes.count)")
        }
        let value = bytes.isEmpty ? Self.factoryDefault : bytes
        repeatHoldOff = .milliseconds(Int(value[0]) * 100)
        removeDelay = .milliseconds(Int(value[1]) * 100)
    }
}

/// A keyboard layout family: what a HID reader types in, and what a keyboard-mode device is
/// set to (register 02A6).
public enum KeyboardLayout: String, Sendable, CaseIterable {
    case qwerty, azerty, qwertz

    /// Register 02A6's code: a project choice, since the reference lists the families only.
    public var registerCode: UInt8 {
        switch self {
        case .qwerty: 0x00
        case .azerty: 0x01
        case .qwertz: 0x02
        }
    }
}

/// Registers 02A6/02A8/02A9: what a HID keyboard-mode device types around an identifier.
public struct KeyboardOutput: Sendable, Equatable {
    public var layout: KeyboardLayout
    public var prefix: [UInt8]
    public var suffix: [UInt8]

    public init(_ data: ConfigData) throws(ConfigurationError) {
        let code = data[.keyboardLayout]?.first ?? 0
        guard let layout = KeyboardLayout.allCases.first(where: { $0.registerCode == code }) else {
            throw .badRegister(.keyboardLayout, reason: "is \(Hex.encode([code])); use 00 (QWERTY), 01 (AZERTY) or 02 (QWERTZ)")
        }
        self.layout = layout
        prefix = data[.keyboardPrefix] ?? []
        suffix = data[.keyboardSuffix].flatMap { $0.isEmpty ? nil : $0 } ?? [0x0A]
    }
}

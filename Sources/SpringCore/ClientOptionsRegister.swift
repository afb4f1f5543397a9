/// Register 0289, MQTT client options: byte 0 carries the QoS levels and broker capabilities,
/// then five timings in seconds. Factory default `5314030A1E1E`.
public struct ClientOptionsRegister: Sendable, Equatable {
    public var subscribeQoS: UInt8
    public var publishQoS: UInt8
    public var createTopicsBeforeSubscribing: Bool
    public var brokerAcceptsWill: Bool
    public var brokerAcceptsRetain: Bool
    public var connectTimeout: UInt8
    public var responseTimeout: UInt8
    public var keepAlive: UInt8
    public var statusInterval: UInt8
    public var reconnectInterval: UInt8

    public static let factoryDefault = ClientOptionsRegister(bytes: [0x53, 0x14, 0x03, 0x0A, 0x1E, 0x1E])!

    public init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        subscribeQoS = bytes[0] >> 6
        publishQoS = (bytes[0] >> 4) & 0x03
        createTopicsBeforeSubscribing = bytes[0] & 0x04 != 0
        brokerAcceptsWill = bytes[0] & 0x02 != 0
        brokerAcceptsRetain = bytes[0] & 0x01 != 0
        connectTimeout = bytes[1]
        responseTimeout = bytes[2]
        keepAlive = bytes[3]
        statusInterval = bytes[4]
        reconnectInterval = bytes[5]
    }

    public var bytes: [UInt8] {
        let flags =
            subscribeQoS << 6 | (publishQoS & 0x03) << 4 | (createTopicsBeforeSubscribing ? 0x04 : 0)
            | (brokerAcceptsWill ? 0x02 : 0) | (brokerAcceptsRetain ? 0x01 : 0)
        return [flags, connectTimeout, responseTimeout, keepAlive, statusInterval, reconnectInterval]
    }
}

/// Register 0288, TLS options (5 bytes). Bytes 3-4 are not specified by the vendor; the project
/// reads byte 3 as the key slot of the client key and bit 0 of byte 4 as "send the client CA
/// certificate after the client certificate".
public struct TLSOptionsRegister: Sendable, Equatable {
    public enum ServerCheck: UInt8, Sendable {
        case acceptAny = 0, exactCertificate, issuingCA, fullChain
    }

    public var enabled: Bool
    public var sendSNI: Bool
    public var checkServerName: Bool
    public var serverCheck: ServerCheck
    public var compareWholeCertificate: Bool
    public var serverCASlot: UInt8
    public var clientAuthentication: Bool
    public var clientCertificateSlot: UInt8
    public var clientKeySlot: UInt8
    public var sendClientCA: Bool

    /// The value `pki provision` writes: TLS, SNI, name check, full chain; CA in slot 0E,
    /// client certificate and key in slot 0D, client CA (slot 0F) sent along.
    public static let provisioned = TLSOptionsRegister(bytes: [0x37, 0x0E, 0x8D, 0x0D, 0x01])!

    public init?(bytes: [UInt8]) {
        guard bytes.count == 5 else { return nil }
        enabled = bytes[0] & 0x01 != 0
        sendSNI = bytes[0] & 0x02 != 0
        checkServerName = bytes[0] & 0x04 != 0
        serverCheck = ServerCheck(rawValue: (bytes[0] >> 4) & 0x03)!
        compareWholeCertificate = bytes[0] & 0x40 != 0
        serverCASlot = bytes[1]
        clientAuthentication = bytes[2] & 0x80 != 0
        clientCertificateSlot = bytes[2] & 0x0F
        clientKeySlot = bytes[3]
        sendClientCA = bytes[4] & 0x01 != 0
    }

    public var bytes: [UInt8] {
        let flags =
            (enabled ? 0x01 : 0) | (sendSNI ? 0x02 : 0) | (checkServerName ? 0x04 : 0)
            | serverCheck.rawValue << 4 | (compareWholeCertificate ? 0x40 : 0)
        return [
            flags, serverCASlot, (clientAuthentication ? 0x80 : 0) | (clientCertificateSlot & 0x0F), clientKeySlot, sendClientCA ? 0x01 : 0,
        ]
    }

    /// The slot holding the CA that issued our client certificate, sent along when asked.
    public static let clientCASlot: UInt8 = 0x0F
}

/// Register 0285: seven big-endian 16-bit ports (Telnet, NDDU, Direct, CCID, SCRDR/JSON, MQTT,
/// HTTP). Zero means the protocol's default.
public struct NetworkPortsRegister: Sendable, Equatable {
    public var ports: [UInt16]

    public init(bytes: [UInt8]) {
        let padded = bytes.count == 14 ? bytes : [UInt8](repeating: 0, count: 14)
        ports = stride(from: 0, to: 14, by: 2).map { UInt16(padded[$0]) << 8 | UInt16(padded[$0 + 1]) }
    }

    public var mqttPort: UInt16 { ports[5] }

    public func effectiveMQTTPort(tls: Bool) -> Int {
        mqttPort != 0 ? Int(mqttPort) : (tls ? 8883 : 1883)
    }
}

/// Register 02A0: the Smart Reader's network output format.
public enum OutputFormat: UInt8, Sendable {
    case scrdr = 0x01
    case json = 0x02

    public var protocolName: String {
        switch self {
        case .scrdr: "$SCRDR"
        case .json: "RDR/JSON"
        }
    }
}

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

/// Register 0288, "Options for MQTTS connection", 5 bytes, as SpringCard's register map lays it
/// out (springcard/springcore-xmlfiles config/springpark.xml). Byte 0: bit 0 TLS, bit 1 SNI,
/// bit 2 check the CN, bits 5-4 server trust, bit 6 "exact" (the whole certificate rather than
/// its public key). Byte 1 bits 3-0: the CA's or server's certificate. Byte 2: bit 7 client
/// authentication, bits 3-0 the client certificate. Byte 3: bits 7-6 where the client key lives
/// (0 raw in NVM, 1 ATECC, 2-3 reserved), bits 3-0 its index. Byte 4: bit 7 chain the client
/// CA certificate after the client certificate, bits 3-0 that CA's certificate. Reserved bits
/// are kept as written; a configuration that sets them is refused (`checkEmulated`).
public struct TLSOptionsRegister: Sendable, Equatable {
    public enum ServerCheck: UInt8, Sendable {
        /// Accept any; verify the server's own certificate; verify its CA without chaining; verify the PKI, chaining.
        case acceptAny = 0, verifyServer, verifyCA, verifyPKI
    }

    public enum KeyStore: UInt8, Sendable {
        case raw = 0, atecc = 1, reservedECC = 2, reservedRSA = 3
    }

    public var enabled: Bool
    public var sendSNI: Bool
    public var checkServerName: Bool
    public var serverCheck: ServerCheck
    public var compareWholeCertificate: Bool
    public var serverCASlot: UInt8
    public var clientAuthentication: Bool
    public var clientCertificateSlot: UInt8
    public var clientKeyStore: KeyStore
    public var clientKeySlot: UInt8
    /// Byte 4 bit 7: the client CA certificate (`clientCASlot`) is sent after the client certificate.
    public var sendClientCA: Bool
    public var clientCASlot: UInt8
    private var reserved: [UInt8]
    /// The bits the vendor's map marks rfu0 that are set, byte by byte; all zero in a value the device takes.
    public var reservedBits: [UInt8] { reserved }

    /// The value `pki provision` writes, `370E8D4D8F`: TLS, SNI, CN check, PKI verified with
    /// chaining against the CA in slot 0E; client certificate 0D with its key 0D in the ATECC
    /// (the slot a SpringPark dedicates to its TLS client key), the client CA 0F chained after it.
    public static let provisioned = TLSOptionsRegister(bytes: [0x37, 0x0E, 0x8D, 0x4D, 0x8F])!

    static let reservedMasks: [UInt8] = [0x88, 0xF0, 0x70, 0x30, 0x70]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 5 else { return nil }
        enabled = bytes[0] & 0x01 != 0
        sendSNI = bytes[0] & 0x02 != 0
        checkServerName = bytes[0] & 0x04 != 0
        serverCheck = ServerCheck(rawValue: (bytes[0] >> 4) & 0x03)!
        compareWholeCertificate = bytes[0] & 0x40 != 0
        serverCASlot = bytes[1] & 0x0F
        clientAuthentication = bytes[2] & 0x80 != 0
        clientCertificateSlot = bytes[2] & 0x0F
        clientKeyStore = KeyStore(rawValue: bytes[3] >> 6)!
        clientKeySlot = bytes[3] & 0x0F
        sendClientCA = bytes[4] & 0x80 != 0
        clientCASlot = bytes[4] & 0x0F
        reserved = zip(bytes, Self.reservedMasks).map { $0 & $1 }
    }

    public var bytes: [UInt8] {
        let flags =
            (enabled ? 0x01 : 0) | (sendSNI ? 0x02 : 0) | (checkServerName ? 0x04 : 0)
            | serverCheck.rawValue << 4 | (compareWholeCertificate ? 0x40 : 0)
        let fields: [UInt8] = [
            flags, serverCASlot & 0x0F, (clientAuthentication ? 0x80 : 0) | (clientCertificateSlot & 0x0F),
            clientKeyStore.rawValue << 6 | (clientKeySlot & 0x0F), (sendClientCA ? 0x80 : 0) | (clientCASlot & 0x0F),
        ]
        return zip(fields, reserved).map { $0 | $1 }
    }
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

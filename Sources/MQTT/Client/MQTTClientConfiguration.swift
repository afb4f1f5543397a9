import NIOCore
import NIOSSL

public struct MQTTClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// nil means plain TCP. The client never falls back from TLS to plain on its own.
    public var tls: TLSConfiguration?
    /// The name sent in SNI and checked against the broker certificate; defaults to `host`.
    /// For an IP address no SNI is sent and the certificate's IP SAN is checked instead.
    public var tlsServerName: String?
    public var protocolVersion: MQTTProtocolVersion
    /// With 5.0 configured, whether a broker that refuses it, or closes the connection after its
    /// CONNECT without a CONNACK, is tried with 3.1.1 (see `MQTTVersionNegotiation`). Off pins 5.0.
    public var fallsBackToVersion311: Bool
    public var clientIdentifier: String
    public var cleanStart: Bool
    public var sessionExpiryInterval: UInt32
    public var keepAlive: UInt16
    public var will: MQTTWill?
    public var username: String?
    public var password: [UInt8]?
    public var connectTimeout: Duration
    public var responseTimeout: Duration
    /// QoS 1 publishes handed to the connection and awaiting PUBACK. At most the broker's
    /// Receive Maximum of them are on the wire; the rest wait on the event loop for a PUBACK.
    /// Also announced to MQTT 5 brokers as our own Receive Maximum.
    public var maximumInFlight: Int
    /// The largest packet we accept; announced to MQTT 5 brokers.
    public var maximumPacketSize: Int
    public var backoff: ReconnectBackoff

    public init(
        host: String, port: Int, tls: TLSConfiguration?, tlsServerName: String? = nil,
        protocolVersion: MQTTProtocolVersion = .v5, fallsBackToVersion311: Bool = true, clientIdentifier: String,
        cleanStart: Bool = true,
        sessionExpiryInterval: UInt32 = 0, keepAlive: UInt16 = 60, will: MQTTWill? = nil,
        username: String? = nil, password: [UInt8]? = nil, connectTimeout: Duration = .seconds(20),
        responseTimeout: Duration = .seconds(10), maximumInFlight: Int = 1024,
        maximumPacketSize: Int = 1 << 20, backoff: ReconnectBackoff = ReconnectBackoff()
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.protocolVersion = protocolVersion
        self.fallsBackToVersion311 = fallsBackToVersion311
        self.clientIdentifier = clientIdentifier
        self.cleanStart = cleanStart
        self.sessionExpiryInterval = sessionExpiryInterval
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
        self.responseTimeout = responseTimeout
        self.maximumInFlight = maximumInFlight
        self.maximumPacketSize = maximumPacketSize
        self.backoff = backoff
    }

    func connectPacket(version protocolVersion: MQTTProtocolVersion) -> ConnectPacket {
        var properties: MQTTProperties = []
        if protocolVersion == .v5 {
            if sessionExpiryInterval > 0 { properties.all.append(.sessionExpiryInterval(sessionExpiryInterval)) }
            properties.all.append(.receiveMaximum(UInt16(clamping: maximumInFlight)))
            properties.all.append(.maximumPacketSize(UInt32(clamping: maximumPacketSize)))
        }
        var will = self.will
        if protocolVersion != .v5 { will?.properties = [] }
        return ConnectPacket(
            protocolVersion: protocolVersion, clientIdentifier: clientIdentifier, cleanStart: cleanStart,
            keepAlive: keepAlive, will: will, username: username, password: password, properties: properties)
    }
}

/// Exponential backoff with full jitter: attempt n waits a random time between half and all of
/// min(ceiling, initial x 2^n), so a fleet that lost its broker at once does not return at once.
public struct ReconnectBackoff: Sendable {
    public var initial: Duration
    public var ceiling: Duration

    public init(initial: Duration = .milliseconds(500), ceiling: Duration = .seconds(30)) {
        self.initial = initial
        self.ceiling = ceiling
    }

    /// The attempt count after a connection ends: back to the start only when it stood for at
    /// least the ceiling. A broker that accepts and then drops at once (RabbitMQ under MQTT 3.1.1
    /// closes on an ACL refusal) would otherwise be reconnected to at the initial delay, in a storm.
    public func attempt(after attempt: Int, connectionLasted: Duration?) -> Int {
        guard let lasted = connectionLasted, lasted >= ceiling else { return attempt }
        return 0
    }

    public func delay(attempt: Int) -> Duration {
        let exponent = min(attempt, 30)
        let base = min(ceiling, initial * (1 << exponent))
        let fraction = Double.random(in: 0.5...1.0)
        return base * fraction
    }
}

/// A message for `MQTTClient.send`, with what to do once the broker has answered.
public struct OutboundMessage: Sendable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    public var properties: MQTTProperties
    public var completion: PublishCompletion

    public init(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false, properties: MQTTProperties = [],
        completion: @escaping PublishCompletion
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
        self.completion = completion
    }
}

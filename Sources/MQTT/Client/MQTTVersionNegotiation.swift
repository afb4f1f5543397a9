/// Which MQTT version the next CONNECT uses, learnt from how the broker answered the last ones.
/// A broker that does not speak 5.0 either refuses it (CONNACK 0x84, or 3.1.1's return code 1)
/// or cannot parse the CONNECT: RabbitMQ's MQTT plugin and several cloud gateways close without
/// any CONNACK, amqtt says nothing until the connect timeout. Each way 3.1.1 is tried next; a
/// close or a silence is only taken for a version problem once 3.1.1 is then accepted, since an
/// ACL or a client ID refused by a close looks the same. What is learnt lasts as long as the client: a restart tries 5.0 again.
struct MQTTVersionNegotiation: Sendable {
    /// How an attempt ended.
    enum Answer: Sendable {
        case connAck
        case versionRefused
        /// No CONNACK after CONNECT, with TLS (if any) complete: a close or the connect timeout.
        case noConnAck(MQTTVersionFallback)
        /// Anything else, TLS and TCP failures included: never a reason to change versions.
        case otherFailure
    }

    /// What the client does about the answer.
    enum Step: Equatable, Sendable {
        case keepGoing
        /// Try 3.1.1 at once, without the reconnect backoff.
        case retryNow(MQTTVersionFallback)
        /// 3.1.1 was accepted after 5.0 was not: say so, once.
        case learnt(MQTTVersionFallback)
        /// 3.1.1 failed too, so 5.0 was not the problem; the next attempt is 5.0 again.
        case backTo5
    }

    private(set) var version: MQTTProtocolVersion
    /// Why the client speaks 3.1.1 although configured for 5.0; nil while it has not fallen back.
    private(set) var fallback: MQTTVersionFallback?
    private let mayFallBack: Bool
    private var trial: MQTTVersionFallback?
    /// A broker that accepted 5.0 speaks it: the next failed attempt is about something else. It
    /// vouches for one failed attempt only, since another broker may answer behind the same
    /// address after a failover or a migration.
    private var brokerSpeaks5 = false

    init(configured: MQTTProtocolVersion, mayFallBack: Bool) {
        version = configured
        self.mayFallBack = mayFallBack && configured == .v5
    }

    /// Whether a refusal for the version is acted on rather than reported.
    var fallsBackOnRefusal: Bool { mayFallBack && version == .v5 }

    mutating func record(_ answer: Answer) -> Step {
        switch answer {
        case .connAck:
            if version == .v5 { brokerSpeaks5 = true }
            guard let learnt = trial else { return .keepGoing }
            trial = nil
            fallback = learnt
            return .learnt(learnt)
        case .versionRefused:
            return startTrial(.refused)
        case .noConnAck(let reason) where version == .v5:
            defer { brokerSpeaks5 = false }
            return brokerSpeaks5 ? .keepGoing : startTrial(reason)
        case .noConnAck, .otherFailure:
            brokerSpeaks5 = false
            guard trial != nil else { return .keepGoing }
            trial = nil
            version = .v5
            return .backTo5
        }
    }

    private mutating func startTrial(_ reason: MQTTVersionFallback) -> Step {
        guard mayFallBack, version == .v5 else { return .keepGoing }
        version = .v3_1_1
        trial = reason
        return .retryNow(reason)
    }
}

/// Why a client configured for MQTT 5.0 speaks 3.1.1.
public enum MQTTVersionFallback: Sendable, Equatable, CustomStringConvertible {
    /// CONNACK 0x84, or 3.1.1's return code 1.
    case refused
    /// The broker closed the connection after a 5.0 CONNECT, without any CONNACK.
    case closedWithoutConnAck
    /// The broker said nothing to a 5.0 CONNECT within the connect timeout.
    case silentAfterConnect

    public var description: String {
        switch self {
        case .refused: "the broker refused MQTT 5.0 (unsupported protocol version)"
        case .closedWithoutConnAck: "the broker closed the connection after an MQTT 5.0 CONNECT, without any CONNACK"
        case .silentAfterConnect: "the broker did not answer an MQTT 5.0 CONNECT within the connect timeout"
        }
    }
}

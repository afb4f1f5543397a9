import NIOCore

public enum MQTTPacketType: UInt8, Sendable, CustomStringConvertible {
    case connect = 1, connAck, publish, pubAck, pubRec, pubRel, pubComp
    case subscribe, subAck, unsubscribe, unsubAck, pingReq, pingResp, disconnect, auth

    public var description: String {
        switch self {
        case .connect: "CONNECT"
        case .connAck: "CONNACK"
        case .publish: "PUBLISH"
        case .pubAck: "PUBACK"
        case .pubRec: "PUBREC"
        case .pubRel: "PUBREL"
        case .pubComp: "PUBCOMP"
        case .subscribe: "SUBSCRIBE"
        case .subAck: "SUBACK"
        case .unsubscribe: "UNSUBSCRIBE"
        case .unsubAck: "UNSUBACK"
        case .pingReq: "PINGREQ"
        case .pingResp: "PINGRESP"
        case .disconnect: "DISCONNECT"
        case .auth: "AUTH"
        }
    }
}

/// Every MQTT control packet, as a value.
public enum MQTTPacket: Sendable, Equatable {
    case connect(ConnectPacket)
    case connAck(ConnAckPacket)
    case publish(PublishPacket)
    case pubAck(PublishAckPacket)
    case pubRec(PublishAckPacket)
    case pubRel(PublishAckPacket)
    case pubComp(PublishAckPacket)
    case subscribe(SubscribePacket)
    case subAck(SubscriptionAckPacket)
    case unsubscribe(UnsubscribePacket)
    case unsubAck(SubscriptionAckPacket)
    case pingReq
    case pingResp
    case disconnect(ReasonPacket)
    case auth(ReasonPacket)

    public var type: MQTTPacketType {
        switch self {
        case .connect: .connect
        case .connAck: .connAck
        case .publish: .publish
        case .pubAck: .pubAck
        case .pubRec: .pubRec
        case .pubRel: .pubRel
        case .pubComp: .pubComp
        case .subscribe: .subscribe
        case .subAck: .subAck
        case .unsubscribe: .unsubscribe
        case .unsubAck: .unsubAck
        case .pingReq: .pingReq
        case .pingResp: .pingResp
        case .disconnect: .disconnect
        case .auth: .auth
        }
    }
}

public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    public var properties: MQTTProperties

    public init(topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool, properties: MQTTProperties = []) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.properties = properties
    }
}

public struct ConnectPacket: Sendable, Equatable {
    public var protocolVersion: MQTTProtocolVersion
    public var clientIdentifier: String
    public var cleanStart: Bool
    public var keepAlive: UInt16
    public var will: MQTTWill?
    public var username: String?
    public var password: [UInt8]?
    public var properties: MQTTProperties

    public init(
        protocolVersion: MQTTProtocolVersion, clientIdentifier: String, cleanStart: Bool, keepAlive: UInt16,
        will: MQTTWill? = nil, username: String? = nil, password: [UInt8]? = nil, properties: MQTTProperties = []
    ) {
        self.protocolVersion = protocolVersion
        self.clientIdentifier = clientIdentifier
        self.cleanStart = cleanStart
        self.keepAlive = keepAlive
        self.will = will
        self.username = username
        self.password = password
        self.properties = properties
    }
}

public struct ConnAckPacket: Sendable, Equatable {
    public var sessionPresent: Bool
    public var reasonCode: MQTTReasonCode
    public var properties: MQTTProperties

    public init(sessionPresent: Bool, reasonCode: MQTTReasonCode, properties: MQTTProperties = []) {
        self.sessionPresent = sessionPresent
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

public struct PublishPacket: Sendable, Equatable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    public var dup: Bool
    /// Present exactly when `qos` is above 0.
    public var packetIdentifier: UInt16?
    public var properties: MQTTProperties

    public init(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false, dup: Bool = false,
        packetIdentifier: UInt16? = nil, properties: MQTTProperties = []
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.dup = dup
        self.packetIdentifier = packetIdentifier
        self.properties = properties
    }
}

/// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout.
public struct PublishAckPacket: Sendable, Equatable {
    public var packetIdentifier: UInt16
    public var reasonCode: MQTTReasonCode
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

public struct MQTTSubscription: Sendable, Equatable {
    public var topicFilter: String
    public var qos: MQTTQoS
    public var noLocal: Bool
    public var retainAsPublished: Bool
    /// 0 send retained messages at subscribe, 1 only for a new subscription, 2 never.
    public var retainHandling: UInt8

    public init(topicFilter: String, qos: MQTTQoS, noLocal: Bool = false, retainAsPublished: Bool = false, retainHandling: UInt8 = 0) {
        self.topicFilter = topicFilter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}

public struct SubscribePacket: Sendable, Equatable {
    public var packetIdentifier: UInt16
    public var subscriptions: [MQTTSubscription]
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, subscriptions: [MQTTSubscription], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.subscriptions = subscriptions
        self.properties = properties
    }
}

public struct UnsubscribePacket: Sendable, Equatable {
    public var packetIdentifier: UInt16
    public var topicFilters: [String]
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, topicFilters: [String], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.topicFilters = topicFilters
        self.properties = properties
    }
}

/// SUBACK and UNSUBACK: one reason code per requested filter. An MQTT 3.1.1 UNSUBACK has none.
public struct SubscriptionAckPacket: Sendable, Equatable {
    public var packetIdentifier: UInt16
    public var reasonCodes: [MQTTReasonCode]
    public var properties: MQTTProperties

    public init(packetIdentifier: UInt16, reasonCodes: [MQTTReasonCode], properties: MQTTProperties = []) {
        self.packetIdentifier = packetIdentifier
        self.reasonCodes = reasonCodes
        self.properties = properties
    }
}

/// DISCONNECT and AUTH: a reason code and properties (both absent in MQTT 3.1.1 DISCONNECT).
public struct ReasonPacket: Sendable, Equatable {
    public var reasonCode: MQTTReasonCode
    public var properties: MQTTProperties

    public init(reasonCode: MQTTReasonCode = .success, properties: MQTTProperties = []) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}

extension String {
    /// A topic name is non-empty and free of the wildcards `+` and `#`; both are ASCII, so a
    /// byte scan is exact. It runs for every publish: over the contiguous bytes, not through the
    /// UTF-8 view's iterator.
    var isValidTopicName: Bool {
        var topic = self
        return topic.withUTF8 { bytes in
            !bytes.isEmpty && !bytes.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") }
        }
    }
}

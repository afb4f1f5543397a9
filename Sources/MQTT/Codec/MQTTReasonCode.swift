/// An MQTT 5 reason code (section 2.4). MQTT 3.1.1 CONNACK return codes are mapped onto the
/// equivalent MQTT 5 code so callers handle one vocabulary.
public struct MQTTReasonCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let success = Self(rawValue: 0x00)
    public static let grantedQoS1 = Self(rawValue: 0x01)
    public static let grantedQoS2 = Self(rawValue: 0x02)
    public static let disconnectWithWill = Self(rawValue: 0x04)
    public static let noMatchingSubscribers = Self(rawValue: 0x10)
    public static let noSubscriptionExisted = Self(rawValue: 0x11)
    public static let continueAuthentication = Self(rawValue: 0x18)
    public static let reAuthenticate = Self(rawValue: 0x19)
    public static let unspecifiedError = Self(rawValue: 0x80)
    public static let malformedPacket = Self(rawValue: 0x81)
    public static let protocolError = Self(rawValue: 0x82)
    public static let implementationSpecificError = Self(rawValue: 0x83)
    public static let unsupportedProtocolVersion = Self(rawValue: 0x84)
    public static let clientIdentifierNotValid = Self(rawValue: 0x85)
    public static let badUserNameOrPassword = Self(rawValue: 0x86)
    public static let notAuthorized = Self(rawValue: 0x87)
    public static let serverUnavailable = Self(rawValue: 0x88)
    public static let serverBusy = Self(rawValue: 0x89)
    public static let banned = Self(rawValue: 0x8A)
    public static let serverShuttingDown = Self(rawValue: 0x8B)
    public static let badAuthenticationMethod = Self(rawValue: 0x8C)
    public static let keepAliveTimeout = Self(rawValue: 0x8D)
    public static let sessionTakenOver = Self(rawValue: 0x8E)
    public static let topicFilterInvalid = Self(rawValue: 0x8F)
    public static let topicNameInvalid = Self(rawValue: 0x90)
    public static let packetIdentifierInUse = Self(rawValue: 0x91)
    public static let packetIdentifierNotFound = Self(rawValue: 0x92)
    public static let receiveMaximumExceeded = Self(rawValue: 0x93)
    public static let topicAliasInvalid = Self(rawValue: 0x94)
    public static let packetTooLarge = Self(rawValue: 0x95)
    public static let messageRateTooHigh = Self(rawValue: 0x96)
    public static let quotaExceeded = Self(rawValue: 0x97)
    public static let administrativeAction = Self(rawValue: 0x98)
    public static let payloadFormatInvalid = Self(rawValue: 0x99)
    public static let retainNotSupported = Self(rawValue: 0x9A)
    public static let qosNotSupported = Self(rawValue: 0x9B)
    public static let useAnotherServer = Self(rawValue: 0x9C)
    public static let serverMoved = Self(rawValue: 0x9D)
    public static let sharedSubscriptionsNotSupported = Self(rawValue: 0x9E)
    public static let connectionRateExceeded = Self(rawValue: 0x9F)
    public static let maximumConnectTime = Self(rawValue: 0xA0)
    public static let subscriptionIdentifiersNotSupported = Self(rawValue: 0xA1)
    public static let wildcardSubscriptionsNotSupported = Self(rawValue: 0xA2)

    public var isFailure: Bool { rawValue >= 0x80 }

    /// What the code means, then what a user of this device can do about it.
    public var description: String {
        let text: String
        switch self {
        case .success: text = "success"
        case .grantedQoS1: text = "granted QoS 1"
        case .grantedQoS2: text = "granted QoS 2"
        case .disconnectWithWill: text = "disconnect with Will message"
        case .noMatchingSubscribers: text = "accepted, but nobody is subscribed to the topic"
        case .noSubscriptionExisted: text = "no such subscription existed"
        case .continueAuthentication: text = "continue authentication"
        case .reAuthenticate: text = "re-authenticate"
        case .unspecifiedError: text = "unspecified error; see the broker's log"
        case .malformedPacket: text = "the broker received a malformed packet; report this as a bug"
        case .protocolError: text = "protocol error; report this as a bug with the broker's log"
        case .implementationSpecificError: text = "refused by the broker for an implementation-specific reason; see its log"
        case .unsupportedProtocolVersion: text = "the broker does not support this MQTT version"
        case .clientIdentifierNotValid: text = "client identifier not valid; check the Client ID register (028D) and certificate CN"
        case .badUserNameOrPassword: text = "bad user name or password; check registers 028B/028C or the broker's identity mapping"
        case .notAuthorized: text = "not authorized; the broker's ACL does not allow this client on this topic"
        case .serverUnavailable: text = "server unavailable; retry later"
        case .serverBusy: text = "server busy; retry later"
        case .banned: text = "this client is banned by the broker"
        case .serverShuttingDown: text = "the broker is shutting down"
        case .badAuthenticationMethod: text = "bad authentication method"
        case .keepAliveTimeout: text = "keep-alive timeout: the broker heard nothing for 1.5 x keep-alive"
        case .sessionTakenOver: text = "session taken over: another client connected with the same client ID"
        case .topicFilterInvalid: text = "topic filter invalid"
        case .topicNameInvalid: text = "topic name invalid; check the topic prefix register (028E)"
        case .packetIdentifierInUse: text = "packet identifier in use"
        case .packetIdentifierNotFound: text = "packet identifier not found"
        case .receiveMaximumExceeded: text = "receive maximum exceeded"
        case .topicAliasInvalid: text = "topic alias invalid"
        case .packetTooLarge: text = "packet too large for the broker's maximum packet size"
        case .messageRateTooHigh: text = "message rate too high; slow down"
        case .quotaExceeded: text = "quota exceeded; the broker limits this client"
        case .administrativeAction: text = "disconnected by an administrator"
        case .payloadFormatInvalid: text = "payload format invalid"
        case .retainNotSupported: text = "the broker does not support retained messages; clear bit 0 of register 0289"
        case .qosNotSupported: text = "the broker does not support this QoS; lower it in register 0289"
        case .useAnotherServer: text = "use another server"
        case .serverMoved: text = "server moved"
        case .sharedSubscriptionsNotSupported: text = "shared subscriptions not supported"
        case .connectionRateExceeded: text = "connection rate exceeded; reconnect more slowly"
        case .maximumConnectTime: text = "maximum connect time reached"
        case .subscriptionIdentifiersNotSupported: text = "subscription identifiers not supported"
        case .wildcardSubscriptionsNotSupported: text = "wildcard subscriptions not supported"
        default: text = "unknown reason"
        }
        return "0x\(hex(rawValue)) \(text)"
    }

    /// The codes MQTT 5 allows in each packet (section 2.4 and each packet's reason code table),
    /// and any failure code (0x80 and above) in a PUBACK or PUBREC: mosquitto 2.0 answers a
    /// PUBLISH over its `message_size_limit` with 0x95, which the table leaves out. Taken as a
    /// malformed packet, that refusal would drop the connection and bring the message back on
    /// every reconnection; taken as what it says, the message is refused and the link stays.
    static func isValid(_ code: UInt8, in packet: MQTTPacketType) -> Bool {
        switch packet {
        case .pubAck where code >= 0x80, .pubRec where code >= 0x80:
            true
        case .connAck:
            [
                0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99,
                0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
            ].contains(code)
        case .pubAck, .pubRec:
            [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99].contains(code)
        case .pubRel, .pubComp:
            code == 0x00 || code == 0x92
        case .subAck:
            [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2].contains(code)
        case .unsubAck:
            [0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91].contains(code)
        case .disconnect:
            [
                0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96,
                0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
            ].contains(code)
        case .auth:
            code == 0x00 || code == 0x18 || code == 0x19
        default:
            false
        }
    }

    /// MQTT 3.1.1 CONNACK return codes 0-5 (section 3.2.2.3) as MQTT 5 reason codes.
    static func fromConnectReturnCode(_ code: UInt8) -> MQTTReasonCode? {
        switch code {
        case 0: .success
        case 1: .unsupportedProtocolVersion
        case 2: .clientIdentifierNotValid
        case 3: .serverUnavailable
        case 4: .badUserNameOrPassword
        case 5: .notAuthorized
        default: nil
        }
    }

    var connectReturnCode: UInt8 {
        switch self {
        case .success: 0
        case .unsupportedProtocolVersion: 1
        case .clientIdentifierNotValid: 2
        case .badUserNameOrPassword: 4
        case .notAuthorized: 5
        default: 3
        }
    }
}

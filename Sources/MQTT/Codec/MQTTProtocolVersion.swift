/// The protocol level sent in CONNECT.
public enum MQTTProtocolVersion: UInt8, Sendable, CustomStringConvertible {
    case v3_1_1 = 4
    case v5 = 5

    public var description: String {
        switch self {
        case .v3_1_1: "3.1.1"
        case .v5: "5.0"
        }
    }
}

public enum MQTTQoS: UInt8, Sendable, Comparable, CustomStringConvertible {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public static func < (lhs: MQTTQoS, rhs: MQTTQoS) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "QoS \(rawValue)" }
}

/// Why bytes received from a peer are not a valid MQTT packet. The connection that produced them
/// cannot be trusted any more and is closed; the description says which packet and field.
public enum MQTTDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedVariableByteInteger(field: String)
    case packetTooLarge(size: Int, limit: Int)
    case unknownPacketType(UInt8)
    case invalidFixedHeaderFlags(packet: MQTTPacketType, flags: UInt8)
    case truncated(packet: MQTTPacketType, field: String)
    case trailingBytes(packet: MQTTPacketType, count: Int)
    case invalidUTF8(field: String)
    case invalidQoS(field: String, value: UInt8)
    case invalidProtocolName(String)
    case unsupportedProtocolLevel(UInt8)
    case reservedBitSet(packet: MQTTPacketType, field: String)
    case invalidProperty(packet: MQTTPacketType, identifier: UInt8)
    case duplicateProperty(packet: MQTTPacketType, identifier: UInt8)
    case invalidPropertyValue(packet: MQTTPacketType, identifier: UInt8)
    case zeroPacketIdentifier(packet: MQTTPacketType)
    case emptyList(packet: MQTTPacketType)
    case invalidReasonCode(packet: MQTTPacketType, code: UInt8)
    case invalidTopicName(String)
    case notAllowedInVersion(packet: MQTTPacketType, version: MQTTProtocolVersion)

    public var description: String {
        switch self {
        case .malformedVariableByteInteger(let field):
            "malformed variable byte integer in \(field) (more than 4 bytes or not minimal)"
        case .packetTooLarge(let size, let limit):
            "packet of \(size) bytes exceeds the maximum packet size of \(limit) bytes"
        case .unknownPacketType(let type):
            "unknown packet type \(type) in the fixed header"
        case .invalidFixedHeaderFlags(let packet, let flags):
            "\(packet) has invalid fixed header flags 0x\(hex(flags))"
        case .truncated(let packet, let field):
            "\(packet) ends before its \(field)"
        case .trailingBytes(let packet, let count):
            "\(packet) has \(count) unexpected bytes after its last field"
        case .invalidUTF8(let field):
            "\(field) is not well-formed UTF-8 or contains U+0000"
        case .invalidQoS(let field, let value):
            "\(field) has QoS \(value); only 0, 1 and 2 exist"
        case .invalidProtocolName(let name):
            "protocol name \"\(name)\" is not \"MQTT\""
        case .unsupportedProtocolLevel(let level):
            "protocol level \(level) is neither 4 (3.1.1) nor 5 (5.0)"
        case .reservedBitSet(let packet, let field):
            "\(packet) sets a reserved bit in \(field)"
        case .invalidProperty(let packet, let identifier):
            "property 0x\(hex(identifier)) is unknown or not allowed in \(packet)"
        case .duplicateProperty(let packet, let identifier):
            "property 0x\(hex(identifier)) appears more than once in \(packet)"
        case .invalidPropertyValue(let packet, let identifier):
            "property 0x\(hex(identifier)) in \(packet) has a value outside its range"
        case .zeroPacketIdentifier(let packet):
            "\(packet) carries packet identifier 0, which is reserved"
        case .emptyList(let packet):
            "\(packet) carries no topic filter or reason code; at least one is required"
        case .invalidReasonCode(let packet, let code):
            "reason code 0x\(hex(code)) is not defined for \(packet)"
        case .invalidTopicName(let topic):
            "topic name \"\(topic)\" is empty or contains a wildcard"
        case .notAllowedInVersion(let packet, let version):
            "\(packet) does not exist in MQTT \(version)"
        }
    }
}

/// Why a packet we were asked to send cannot be encoded.
public enum MQTTEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case stringTooLong(field: String, length: Int)
    case packetTooLarge(size: Int, limit: Int)
    case invalidTopicName(String)
    case zeroPacketIdentifier
    case notAllowedInVersion(packet: MQTTPacketType, version: MQTTProtocolVersion)
    case valueOutOfRange(field: String)

    public var description: String {
        switch self {
        case .stringTooLong(let field, let length):
            "\(field) is \(length) bytes long; MQTT strings hold at most 65535 bytes"
        case .packetTooLarge(let size, let limit):
            "packet of \(size) bytes exceeds the maximum packet size of \(limit) bytes; shorten the payload"
        case .invalidTopicName(let topic):
            "topic name \"\(topic)\" is empty or contains a wildcard (+ or #)"
        case .zeroPacketIdentifier:
            "packet identifier 0 is reserved"
        case .notAllowedInVersion(let packet, let version):
            "\(packet) cannot be sent with MQTT \(version)"
        case .valueOutOfRange(let field):
            "\(field) is out of range for its MQTT encoding"
        }
    }
}

func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}

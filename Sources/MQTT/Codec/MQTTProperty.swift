import NIOCore

/// One MQTT 5 property (section 2.2.2.2). Each case carries the value in its wire type.
public enum MQTTProperty: Sendable, Equatable {
    case payloadFormatIndicator(UInt8)
    case messageExpiryInterval(UInt32)
    case contentType(String)
    case responseTopic(String)
    case correlationData([UInt8])
    case subscriptionIdentifier(Int)
    case sessionExpiryInterval(UInt32)
    case assignedClientIdentifier(String)
    case serverKeepAlive(UInt16)
    case authenticationMethod(String)
    case authenticationData([UInt8])
    case requestProblemInformation(UInt8)
    case willDelayInterval(UInt32)
    case requestResponseInformation(UInt8)
    case responseInformation(String)
    case serverReference(String)
    case reasonString(String)
    case receiveMaximum(UInt16)
    case topicAliasMaximum(UInt16)
    case topicAlias(UInt16)
    case maximumQoS(UInt8)
    case retainAvailable(UInt8)
    case userProperty(name: String, value: String)
    case maximumPacketSize(UInt32)
    case wildcardSubscriptionAvailable(UInt8)
    case subscriptionIdentifierAvailable(UInt8)
    case sharedSubscriptionAvailable(UInt8)

    public var identifier: UInt8 {
        switch self {
        case .payloadFormatIndicator: 0x01
        case .messageExpiryInterval: 0x02
        case .contentType: 0x03
        case .responseTopic: 0x08
        case .correlationData: 0x09
        case .subscriptionIdentifier: 0x0B
        case .sessionExpiryInterval: 0x11
        case .assignedClientIdentifier: 0x12
        case .serverKeepAlive: 0x13
        case .authenticationMethod: 0x15
        case .authenticationData: 0x16
        case .requestProblemInformation: 0x17
        case .willDelayInterval: 0x18
        case .requestResponseInformation: 0x19
        case .responseInformation: 0x1A
        case .serverReference: 0x1C
        case .reasonString: 0x1F
        case .receiveMaximum: 0x21
        case .topicAliasMaximum: 0x22
        case .topicAlias: 0x23
        case .maximumQoS: 0x24
        case .retainAvailable: 0x25
        case .userProperty: 0x26
        case .maximumPacketSize: 0x27
        case .wildcardSubscriptionAvailable: 0x28
        case .subscriptionIdentifierAvailable: 0x29
        case .sharedSubscriptionAvailable: 0x2A
        }
    }
}

/// Where a property may appear. The Will properties of CONNECT are their own context because
/// they admit a different set than the CONNECT properties.
public enum MQTTPropertyContext: Sendable, Equatable {
    case packet(MQTTPacketType)
    case will

    var packetForErrors: MQTTPacketType {
        switch self {
        case .packet(let type): type
        case .will: .connect
        }
    }
}

extension MQTTProperty {
    /// The table of MQTT 5 section 2.2.2.2: which packets each property may appear in.
    static func isAllowed(_ identifier: UInt8, in context: MQTTPropertyContext) -> Bool {
        let acks: Set<MQTTPacketType> = [.pubAck, .pubRec, .pubRel, .pubComp, .subAck, .unsubAck]
        let allowed: Set<MQTTPacketType>
        var inWill = false
        switch identifier {
        case 0x01, 0x02, 0x03, 0x08, 0x09: allowed = [.publish]; inWill = true
        case 0x0B: allowed = [.publish, .subscribe]
        case 0x11: allowed = [.connect, .connAck, .disconnect]
        case 0x12, 0x13, 0x1A: allowed = [.connAck]
        case 0x15, 0x16: allowed = [.connect, .connAck, .auth]
        case 0x17, 0x19: allowed = [.connect]
        case 0x18: allowed = []; inWill = true
        case 0x1C: allowed = [.connAck, .disconnect]
        case 0x1F: allowed = acks.union([.connAck, .disconnect, .auth])
        case 0x21, 0x27: allowed = [.connect, .connAck]
        case 0x22: allowed = [.connect, .connAck]
        case 0x23: allowed = [.publish]
        case 0x24, 0x25, 0x28, 0x29, 0x2A: allowed = [.connAck]
        case 0x26:
            allowed = acks.union([.connect, .connAck, .publish, .subscribe, .unsubscribe, .disconnect, .auth])
            inWill = true
        default: return false
        }
        switch context {
        case .packet(let type): return allowed.contains(type)
        case .will: return inWill
        }
    }

    static func read(from buffer: inout ByteBuffer, context: MQTTPropertyContext) throws(MQTTDecodingError) -> MQTTProperty {
        let packet = context.packetForErrors
        let identifier = try buffer.readByte(packet: packet, field: "property identifier")
        guard isAllowed(identifier, in: context) else { throw .invalidProperty(packet: packet, identifier: identifier) }
        let field = "property 0x\(hex(identifier))"
        func byte() throws(MQTTDecodingError) -> UInt8 { try buffer.readByte(packet: packet, field: field) }
        func boolean() throws(MQTTDecodingError) -> UInt8 {
            let value = try byte()
            guard value <= 1 else { throw .invalidPropertyValue(packet: packet, identifier: identifier) }
            return value
        }
        func two() throws(MQTTDecodingError) -> UInt16 { try buffer.readUInt16(packet: packet, field: field) }
        func four() throws(MQTTDecodingError) -> UInt32 { try buffer.readUInt32(packet: packet, field: field) }
        func string() throws(MQTTDecodingError) -> String { try buffer.readMQTTString(packet: packet, field: field) }
        func binary() throws(MQTTDecodingError) -> [UInt8] { try buffer.readBinaryData(packet: packet, field: field) }
        func nonZero<T: BinaryInteger>(_ value: T) throws(MQTTDecodingError) -> T {
            guard value != 0 else { throw .invalidPropertyValue(packet: packet, identifier: identifier) }
            return value
        }

        switch identifier {
        case 0x01: return .payloadFormatIndicator(try boolean())
        case 0x02: return .messageExpiryInterval(try four())
        case 0x03: return .contentType(try string())
        case 0x08: return .responseTopic(try string())
        case 0x09: return .correlationData(try binary())
        case 0x0B:
            return .subscriptionIdentifier(try nonZero(try buffer.readVariableByteInteger(packet: packet, field: field)))
        case 0x11: return .sessionExpiryInterval(try four())
        case 0x12: return .assignedClientIdentifier(try string())
        case 0x13: return .serverKeepAlive(try two())
        case 0x15: return .authenticationMethod(try string())
        case 0x16: return .authenticationData(try binary())
        case 0x17: return .requestProblemInformation(try boolean())
        case 0x18: return .willDelayInterval(try four())
        case 0x19: return .requestResponseInformation(try boolean())
        case 0x1A: return .responseInformation(try string())
        case 0x1C: return .serverReference(try string())
        case 0x1F: return .reasonString(try string())
        case 0x21: return .receiveMaximum(try nonZero(try two()))
        case 0x22: return .topicAliasMaximum(try two())
        case 0x23: return .topicAlias(try nonZero(try two()))
        case 0x24: return .maximumQoS(try boolean())
        case 0x25: return .retainAvailable(try boolean())
        case 0x26: return .userProperty(name: try string(), value: try string())
        case 0x27: return .maximumPacketSize(try nonZero(try four()))
        case 0x28: return .wildcardSubscriptionAvailable(try boolean())
        case 0x29: return .subscriptionIdentifierAvailable(try boolean())
        case 0x2A: return .sharedSubscriptionAvailable(try boolean())
        default: throw .invalidProperty(packet: packet, identifier: identifier)
        }
    }

    /// Bytes on the wire, identifier included: computed, so a packet's length needs no trial encoding.
    var encodedSize: Int {
        switch self {
        case .payloadFormatIndicator, .requestProblemInformation, .requestResponseInformation, .maximumQoS, .retainAvailable,
            .wildcardSubscriptionAvailable, .subscriptionIdentifierAvailable, .sharedSubscriptionAvailable:
            2
        case .serverKeepAlive, .receiveMaximum, .topicAliasMaximum, .topicAlias:
            3
        case .messageExpiryInterval, .sessionExpiryInterval, .willDelayInterval, .maximumPacketSize:
            5
        case .contentType(let s), .responseTopic(let s), .assignedClientIdentifier(let s), .authenticationMethod(let s),
            .responseInformation(let s), .serverReference(let s), .reasonString(let s):
            3 + s.utf8.count
        case .correlationData(let b), .authenticationData(let b):
            3 + b.count
        case .subscriptionIdentifier(let v):
            1 + ByteBuffer.variableByteIntegerSize(v)
        case .userProperty(let name, let value):
            5 + name.utf8.count + value.utf8.count
        }
    }

    func write(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        buffer.writeInteger(identifier)
        let identifier = self.identifier
        func field() -> String { "property 0x\(hex(identifier))" }
        switch self {
        case .payloadFormatIndicator(let v), .requestProblemInformation(let v), .requestResponseInformation(let v),
            .maximumQoS(let v), .retainAvailable(let v), .wildcardSubscriptionAvailable(let v),
            .subscriptionIdentifierAvailable(let v), .sharedSubscriptionAvailable(let v):
            buffer.writeInteger(v)
        case .serverKeepAlive(let v), .receiveMaximum(let v), .topicAliasMaximum(let v), .topicAlias(let v):
            buffer.writeInteger(v, endianness: .big)
        case .messageExpiryInterval(let v), .sessionExpiryInterval(let v), .willDelayInterval(let v),
            .maximumPacketSize(let v):
            buffer.writeInteger(v, endianness: .big)
        case .contentType(let s), .responseTopic(let s), .assignedClientIdentifier(let s),
            .authenticationMethod(let s), .responseInformation(let s), .serverReference(let s),
            .reasonString(let s):
            try buffer.writeMQTTString(s, field: field())
        case .correlationData(let b), .authenticationData(let b):
            try buffer.writeBinaryData(b, field: field())
        case .subscriptionIdentifier(let v):
            guard v > 0 && v <= ByteBuffer.maximumVariableByteInteger else { throw .valueOutOfRange(field: field()) }
            buffer.writeVariableByteInteger(v)
        case .userProperty(let name, let value):
            try buffer.writeMQTTString(name, field: "user property name")
            try buffer.writeMQTTString(value, field: "user property value")
        }
    }
}

/// The property list of a packet, in the order received or to be sent.
public struct MQTTProperties: Sendable, Equatable, ExpressibleByArrayLiteral {
    public var all: [MQTTProperty]

    public init(_ properties: [MQTTProperty] = []) { all = properties }
    public init(arrayLiteral elements: MQTTProperty...) { all = elements }

    public var isEmpty: Bool { all.isEmpty }

    public var userProperties: [(name: String, value: String)] {
        all.compactMap { if case .userProperty(let n, let v) = $0 { (n, v) } else { nil } }
    }
    public var reasonString: String? {
        all.lazy.compactMap { if case .reasonString(let s) = $0 { s } else { nil } }.first
    }
    public var receiveMaximum: UInt16? {
        all.lazy.compactMap { if case .receiveMaximum(let v) = $0 { v } else { nil } }.first
    }
    public var maximumPacketSize: UInt32? {
        all.lazy.compactMap { if case .maximumPacketSize(let v) = $0 { v } else { nil } }.first
    }
    public var serverKeepAlive: UInt16? {
        all.lazy.compactMap { if case .serverKeepAlive(let v) = $0 { v } else { nil } }.first
    }
    public var assignedClientIdentifier: String? {
        all.lazy.compactMap { if case .assignedClientIdentifier(let v) = $0 { v } else { nil } }.first
    }
    public var maximumQoS: UInt8? {
        all.lazy.compactMap { if case .maximumQoS(let v) = $0 { v } else { nil } }.first
    }
    public var retainAvailable: UInt8? {
        all.lazy.compactMap { if case .retainAvailable(let v) = $0 { v } else { nil } }.first
    }

    /// The property list's length, as its length prefix states it.
    var encodedLength: Int { all.reduce(0) { $0 + $1.encodedSize } }

    /// The length prefix, then each property.
    func write(to buffer: inout ByteBuffer) throws(MQTTEncodingError) {
        buffer.writeVariableByteInteger(encodedLength)
        for property in all { try property.write(to: &buffer) }
    }

    static func read(from buffer: inout ByteBuffer, context: MQTTPropertyContext) throws(MQTTDecodingError) -> MQTTProperties {
        let packet = context.packetForErrors
        let length = try buffer.readVariableByteInteger(packet: packet, field: "property length")
        guard var slice = buffer.readSlice(length: length) else {
            throw .truncated(packet: packet, field: "properties")
        }
        var properties: [MQTTProperty] = []
        var seen: Set<UInt8> = []
        while slice.readableBytes > 0 {
            let property = try MQTTProperty.read(from: &slice, context: context)
            let repeatable = property.identifier == 0x26 || (property.identifier == 0x0B && packet == .publish)
            guard seen.insert(property.identifier).inserted || repeatable else {
                throw .duplicateProperty(packet: packet, identifier: property.identifier)
            }
            properties.append(property)
        }
        return MQTTProperties(properties)
    }
}

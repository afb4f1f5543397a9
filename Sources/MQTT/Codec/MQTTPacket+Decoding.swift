import NIOCore

extension MQTTPacket {
    /// Decodes one packet from its fixed header byte and exactly its body. `version` is the
    /// version negotiated on the connection; CONNECT carries its own.
    public static func decode(
        fixedHeader: UInt8, body: ByteBuffer, version: MQTTProtocolVersion
    ) throws(MQTTDecodingError) -> MQTTPacket {
        guard let type = MQTTPacketType(rawValue: fixedHeader >> 4) else {
            throw .unknownPacketType(fixedHeader >> 4)
        }
        let flags = fixedHeader & 0x0F
        let requiredFlags: UInt8 = [.pubRel, .subscribe, .unsubscribe].contains(type) ? 0x02 : 0
        guard type == .publish || flags == requiredFlags else {
            throw .invalidFixedHeaderFlags(packet: type, flags: flags)
        }
        var body = body
        let v5 = version == .v5
        let packet: MQTTPacket
        switch type {
        case .connect:
            packet = .connect(try ConnectPacket.decode(&body))
        case .connAck:
            packet = .connAck(try ConnAckPacket.decode(&body, version: version))
        case .publish:
            packet = .publish(try PublishPacket.decode(&body, flags: flags, version: version))
        case .pubAck:
            packet = .pubAck(try PublishAckPacket.decode(&body, type: type, version: version))
        case .pubRec:
            packet = .pubRec(try PublishAckPacket.decode(&body, type: type, version: version))
        case .pubRel:
            packet = .pubRel(try PublishAckPacket.decode(&body, type: type, version: version))
        case .pubComp:
            packet = .pubComp(try PublishAckPacket.decode(&body, type: type, version: version))
        case .subscribe:
            packet = .subscribe(try SubscribePacket.decode(&body, version: version))
        case .subAck:
            packet = .subAck(try SubscriptionAckPacket.decode(&body, type: type, version: version))
        case .unsubscribe:
            let identifier = try body.readPacketIdentifier(packet: type)
            let properties = v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
            var filters: [String] = []
            while body.readableBytes > 0 { filters.append(try body.readMQTTString(packet: type, field: "topic filter")) }
            guard !filters.isEmpty else { throw .emptyList(packet: type) }
            packet = .unsubscribe(UnsubscribePacket(packetIdentifier: identifier, topicFilters: filters, properties: properties))
        case .unsubAck:
            packet = .unsubAck(try SubscriptionAckPacket.decode(&body, type: type, version: version))
        case .pingReq:
            packet = .pingReq
        case .pingResp:
            packet = .pingResp
        case .disconnect:
            packet = .disconnect(v5 ? try ReasonPacket.decode(&body, type: type) : ReasonPacket())
        case .auth:
            guard v5 else { throw .notAllowedInVersion(packet: type, version: version) }
            packet = .auth(try ReasonPacket.decode(&body, type: type))
        }
        guard body.readableBytes == 0 else { throw .trailingBytes(packet: type, count: body.readableBytes) }
        return packet
    }
}

extension ConnectPacket {
    fileprivate static func decode(_ body: inout ByteBuffer) throws(MQTTDecodingError) -> ConnectPacket {
        let type = MQTTPacketType.connect
        let name = try body.readMQTTString(packet: type, field: "protocol name")
        guard name == "MQTT" else { throw .invalidProtocolName(name) }
        let level = try body.readByte(packet: type, field: "protocol level")
        guard let version = MQTTProtocolVersion(rawValue: level) else { throw .unsupportedProtocolLevel(level) }
        let v5 = version == .v5
        let flags = try body.readByte(packet: type, field: "connect flags")
        guard flags & 0x01 == 0 else { throw .reservedBitSet(packet: type, field: "connect flags") }
        let hasWill = flags & 0x04 != 0
        let willQoSValue = (flags >> 3) & 0x03
        guard let willQoS = MQTTQoS(rawValue: willQoSValue) else { throw .invalidQoS(field: "will QoS", value: willQoSValue) }
        let willRetain = flags & 0x20 != 0
        if !hasWill && (willQoSValue != 0 || willRetain) {
            throw .reservedBitSet(packet: type, field: "connect flags (will QoS/retain without a will)")
        }
        let hasPassword = flags & 0x40 != 0
        let hasUsername = flags & 0x80 != 0
        if !v5 && hasPassword && !hasUsername {
            throw .reservedBitSet(packet: type, field: "connect flags (password without user name)")
        }
        let keepAlive = try body.readUInt16(packet: type, field: "keep alive")
        let properties = v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        let clientIdentifier = try body.readMQTTString(packet: type, field: "client identifier")
        var will: MQTTWill?
        if hasWill {
            let willProperties = v5 ? try MQTTProperties.read(from: &body, context: .will) : []
            let topic = try body.readMQTTString(packet: type, field: "will topic")
            guard topic.isValidTopicName else { throw .invalidTopicName(topic) }
            let payload = try body.readBinaryData(packet: type, field: "will payload")
            will = MQTTWill(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProperties)
        }
        let username = hasUsername ? try body.readMQTTString(packet: type, field: "user name") : nil
        let password = hasPassword ? try body.readBinaryData(packet: type, field: "password") : nil
        return ConnectPacket(
            protocolVersion: version, clientIdentifier: clientIdentifier, cleanStart: flags & 0x02 != 0,
            keepAlive: keepAlive, will: will, username: username, password: password, properties: properties)
    }
}

extension ConnAckPacket {
    fileprivate static func decode(_ body: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTDecodingError) -> ConnAckPacket {
        let type = MQTTPacketType.connAck
        let flags = try body.readByte(packet: type, field: "acknowledge flags")
        guard flags & 0xFE == 0 else { throw .reservedBitSet(packet: type, field: "acknowledge flags") }
        let code = try body.readByte(packet: type, field: "reason code")
        let reason: MQTTReasonCode
        if version == .v5 && code == 0x01 && body.readableBytes == 0 {
            // A server that speaks only 3.1.1 answers a 5.0 CONNECT with its own CONNACK:
            // return code 1, "unacceptable protocol version", and no properties.
            return ConnAckPacket(sessionPresent: false, reasonCode: .unsupportedProtocolVersion, properties: [])
        }
        if version == .v5 {
            guard MQTTReasonCode.isValid(code, in: type) else { throw .invalidReasonCode(packet: type, code: code) }
            reason = MQTTReasonCode(rawValue: code)
        } else {
            guard let mapped = MQTTReasonCode.fromConnectReturnCode(code) else {
                throw .invalidReasonCode(packet: type, code: code)
            }
            reason = mapped
        }
        let properties = version == .v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        return ConnAckPacket(sessionPresent: flags & 0x01 != 0, reasonCode: reason, properties: properties)
    }
}

extension PublishPacket {
    fileprivate static func decode(_ body: inout ByteBuffer, flags: UInt8, version: MQTTProtocolVersion) throws(MQTTDecodingError)
        -> PublishPacket
    {
        let type = MQTTPacketType.publish
        let qosValue = (flags >> 1) & 0x03
        guard let qos = MQTTQoS(rawValue: qosValue) else { throw .invalidQoS(field: "PUBLISH fixed header", value: qosValue) }
        let dup = flags & 0x08 != 0
        if qos == .atMostOnce && dup { throw .invalidFixedHeaderFlags(packet: type, flags: flags) }
        let topic = try body.readMQTTString(packet: type, field: "topic name")
        let identifier = qos == .atMostOnce ? nil : try body.readPacketIdentifier(packet: type)
        let properties = version == .v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        let aliased = properties.all.contains { if case .topicAlias = $0 { true } else { false } }
        guard topic.isValidTopicName || (topic.isEmpty && aliased) else { throw .invalidTopicName(topic) }
        let payload = body.readSlice(length: body.readableBytes) ?? ByteBuffer()
        return PublishPacket(
            topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, dup: dup,
            packetIdentifier: identifier, properties: properties)
    }
}

extension PublishAckPacket {
    fileprivate static func decode(_ body: inout ByteBuffer, type: MQTTPacketType, version: MQTTProtocolVersion) throws(MQTTDecodingError)
        -> PublishAckPacket
    {
        let identifier = try body.readPacketIdentifier(packet: type)
        guard version == .v5, body.readableBytes > 0 else { return PublishAckPacket(packetIdentifier: identifier) }
        let code = try body.readByte(packet: type, field: "reason code")
        guard MQTTReasonCode.isValid(code, in: type) else { throw .invalidReasonCode(packet: type, code: code) }
        let properties = body.readableBytes > 0 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        return PublishAckPacket(packetIdentifier: identifier, reasonCode: MQTTReasonCode(rawValue: code), properties: properties)
    }
}

extension SubscribePacket {
    fileprivate static func decode(_ body: inout ByteBuffer, version: MQTTProtocolVersion) throws(MQTTDecodingError) -> SubscribePacket {
        let type = MQTTPacketType.subscribe
        let identifier = try body.readPacketIdentifier(packet: type)
        let properties = version == .v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        var subscriptions: [MQTTSubscription] = []
        while body.readableBytes > 0 {
            let filter = try body.readMQTTString(packet: type, field: "topic filter")
            let options = try body.readByte(packet: type, field: "subscription options")
            let reserved: UInt8 = version == .v5 ? 0xC0 : 0xFC
            guard options & reserved == 0, (options >> 4) & 0x03 != 3 else {
                throw .reservedBitSet(packet: type, field: "subscription options")
            }
            guard let qos = MQTTQoS(rawValue: options & 0x03) else {
                throw .invalidQoS(field: "subscription options", value: options & 0x03)
            }
            subscriptions.append(
                MQTTSubscription(
                    topicFilter: filter, qos: qos, noLocal: options & 0x04 != 0,
                    retainAsPublished: options & 0x08 != 0, retainHandling: (options >> 4) & 0x03))
        }
        guard !subscriptions.isEmpty else { throw .emptyList(packet: type) }
        return SubscribePacket(packetIdentifier: identifier, subscriptions: subscriptions, properties: properties)
    }
}

extension SubscriptionAckPacket {
    fileprivate static func decode(_ body: inout ByteBuffer, type: MQTTPacketType, version: MQTTProtocolVersion) throws(MQTTDecodingError)
        -> SubscriptionAckPacket
    {
        let identifier = try body.readPacketIdentifier(packet: type)
        if version == .v3_1_1 && type == .unsubAck { return SubscriptionAckPacket(packetIdentifier: identifier, reasonCodes: []) }
        let properties = version == .v5 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        var codes: [MQTTReasonCode] = []
        while let code = body.readInteger(as: UInt8.self) {
            let valid = version == .v5 ? MQTTReasonCode.isValid(code, in: type) : [0x00, 0x01, 0x02, 0x80].contains(code)
            guard valid else { throw .invalidReasonCode(packet: type, code: code) }
            codes.append(MQTTReasonCode(rawValue: code))
        }
        guard !codes.isEmpty else { throw .emptyList(packet: type) }
        return SubscriptionAckPacket(packetIdentifier: identifier, reasonCodes: codes, properties: properties)
    }
}

extension ReasonPacket {
    fileprivate static func decode(_ body: inout ByteBuffer, type: MQTTPacketType) throws(MQTTDecodingError) -> ReasonPacket {
        guard body.readableBytes > 0 else { return ReasonPacket() }
        let code = try body.readByte(packet: type, field: "reason code")
        guard MQTTReasonCode.isValid(code, in: type) else { throw .invalidReasonCode(packet: type, code: code) }
        let properties = body.readableBytes > 0 ? try MQTTProperties.read(from: &body, context: .packet(type)) : []
        return ReasonPacket(reasonCode: MQTTReasonCode(rawValue: code), properties: properties)
    }
}

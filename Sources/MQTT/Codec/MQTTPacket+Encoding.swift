import NIOCore

extension MQTTPacket {
    /// Appends the packet's wire form. The fixed header's remaining length is computed from the
    /// body, so the body is built first; `maximumPacketSize` is the peer's limit, if it sent one.
    public func encode(
        version: MQTTProtocolVersion, into buffer: inout ByteBuffer, maximumPacketSize: Int? = nil
    ) throws(MQTTEncodingError) {
        if case .publish(let publish) = self {
            // The hot path: its length is computed, so the body is written in place.
            try publish.encode(version: version, into: &buffer, maximumPacketSize: maximumPacketSize)
            return
        }
        var body = ByteBuffer()
        let flags = try encodeBody(version: version, into: &body)
        let size = 1 + ByteBuffer.variableByteIntegerSize(body.readableBytes) + body.readableBytes
        guard body.readableBytes <= ByteBuffer.maximumVariableByteInteger else {
            throw .packetTooLarge(size: size, limit: ByteBuffer.maximumVariableByteInteger)
        }
        if let maximumPacketSize, size > maximumPacketSize {
            throw .packetTooLarge(size: size, limit: maximumPacketSize)
        }
        buffer.writeInteger(type.rawValue << 4 | flags)
        buffer.writeVariableByteInteger(body.readableBytes)
        buffer.writeImmutableBuffer(body)
    }

    /// Writes the variable header and payload; returns the fixed header's flag bits.
    private func encodeBody(version: MQTTProtocolVersion, into body: inout ByteBuffer) throws(MQTTEncodingError) -> UInt8 {
        let v5 = version == .v5
        switch self {
        case .connect(let connect):
            try connect.encodeBody(into: &body)
            return 0
        case .connAck(let ack):
            body.writeInteger(UInt8(ack.sessionPresent ? 1 : 0))
            body.writeInteger(v5 ? ack.reasonCode.rawValue : ack.reasonCode.connectReturnCode)
            if v5 { try ack.properties.write(to: &body) }
            return 0
        case .publish(let publish):
            try publish.writeBody(version: version, into: &body)
            return publish.flags
        case .pubAck(let ack), .pubRec(let ack), .pubComp(let ack):
            try ack.encodeBody(version: version, into: &body)
            return 0
        case .pubRel(let ack):
            try ack.encodeBody(version: version, into: &body)
            return 0x02
        case .subscribe(let subscribe):
            guard subscribe.packetIdentifier != 0 else { throw .zeroPacketIdentifier }
            body.writeInteger(subscribe.packetIdentifier, endianness: .big)
            if v5 { try subscribe.properties.write(to: &body) }
            for subscription in subscribe.subscriptions {
                try body.writeMQTTString(subscription.topicFilter, field: "topic filter")
                var options = subscription.qos.rawValue
                if v5 {
                    if subscription.noLocal { options |= 0x04 }
                    if subscription.retainAsPublished { options |= 0x08 }
                    options |= (subscription.retainHandling & 0x03) << 4
                }
                body.writeInteger(options)
            }
            return 0x02
        case .subAck(let ack):
            body.writeInteger(ack.packetIdentifier, endianness: .big)
            if v5 { try ack.properties.write(to: &body) }
            for code in ack.reasonCodes { body.writeInteger(code.rawValue) }
            return 0
        case .unsubscribe(let unsubscribe):
            guard unsubscribe.packetIdentifier != 0 else { throw .zeroPacketIdentifier }
            body.writeInteger(unsubscribe.packetIdentifier, endianness: .big)
            if v5 { try unsubscribe.properties.write(to: &body) }
            for filter in unsubscribe.topicFilters { try body.writeMQTTString(filter, field: "topic filter") }
            return 0x02
        case .unsubAck(let ack):
            body.writeInteger(ack.packetIdentifier, endianness: .big)
            if v5 {
                try ack.properties.write(to: &body)
                for code in ack.reasonCodes { body.writeInteger(code.rawValue) }
            }
            return 0
        case .pingReq, .pingResp:
            return 0
        case .disconnect(let packet):
            if v5 { try packet.encodeBody(into: &body) }
            return 0
        case .auth(let packet):
            guard v5 else { throw .notAllowedInVersion(packet: .auth, version: version) }
            try packet.encodeBody(into: &body)
            return 0
        }
    }
}

extension ConnectPacket {
    fileprivate func encodeBody(into body: inout ByteBuffer) throws(MQTTEncodingError) {
        let v5 = protocolVersion == .v5
        if !v5 && password != nil && username == nil {
            throw .valueOutOfRange(field: "password without user name (not allowed in MQTT 3.1.1)")
        }
        try body.writeMQTTString("MQTT", field: "protocol name")
        body.writeInteger(protocolVersion.rawValue)
        var flags: UInt8 = cleanStart ? 0x02 : 0
        if let will {
            flags |= 0x04 | will.qos.rawValue << 3 | (will.retain ? 0x20 : 0)
        }
        if password != nil { flags |= 0x40 }
        if username != nil { flags |= 0x80 }
        body.writeInteger(flags)
        body.writeInteger(keepAlive, endianness: .big)
        if v5 { try properties.write(to: &body) }
        try body.writeMQTTString(clientIdentifier, field: "client identifier")
        if let will {
            if v5 { try will.properties.write(to: &body) }
            guard will.topic.isValidTopicName else { throw .invalidTopicName(will.topic) }
            try body.writeMQTTString(will.topic, field: "will topic")
            try body.writeBinaryData(will.payload, field: "will payload")
        }
        if let username { try body.writeMQTTString(username, field: "user name") }
        if let password { try body.writeBinaryData(password, field: "password") }
    }
}

extension PublishAckPacket {
    fileprivate func encodeBody(version: MQTTProtocolVersion, into body: inout ByteBuffer) throws(MQTTEncodingError) {
        guard packetIdentifier != 0 else { throw .zeroPacketIdentifier }
        body.writeInteger(packetIdentifier, endianness: .big)
        // MQTT 5 lets the reason code and properties be omitted when they carry nothing (3.4.2.1).
        guard version == .v5, reasonCode != .success || !properties.isEmpty else { return }
        body.writeInteger(reasonCode.rawValue)
        if !properties.isEmpty { try properties.write(to: &body) }
    }
}

extension ReasonPacket {
    fileprivate func encodeBody(into body: inout ByteBuffer) throws(MQTTEncodingError) {
        guard reasonCode != .success || !properties.isEmpty else { return }
        body.writeInteger(reasonCode.rawValue)
        if !properties.isEmpty { try properties.write(to: &body) }
    }
}

extension PublishPacket {
    var flags: UInt8 { (dup ? 0x08 : 0) | qos.rawValue << 1 | (retain ? 0x01 : 0) }

    func encode(version: MQTTProtocolVersion, into buffer: inout ByteBuffer, maximumPacketSize: Int?) throws(MQTTEncodingError) {
        let remaining = remainingLength(version: version)
        let size = 1 + ByteBuffer.variableByteIntegerSize(remaining) + remaining
        guard remaining <= ByteBuffer.maximumVariableByteInteger else {
            throw .packetTooLarge(size: size, limit: ByteBuffer.maximumVariableByteInteger)
        }
        if let maximumPacketSize, size > maximumPacketSize { throw .packetTooLarge(size: size, limit: maximumPacketSize) }
        let start = buffer.writerIndex
        buffer.writeInteger(MQTTPacketType.publish.rawValue << 4 | flags)
        buffer.writeVariableByteInteger(remaining)
        do {
            try writeBody(version: version, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Topic, packet identifier, properties (MQTT 5) and payload.
    func writeBody(version: MQTTProtocolVersion, into body: inout ByteBuffer) throws(MQTTEncodingError) {
        let v5 = version == .v5
        guard topic.isValidTopicName || (v5 && topic.isEmpty) else { throw .invalidTopicName(topic) }
        try body.writeMQTTString(topic, field: "topic name")
        if qos != .atMostOnce {
            guard let packetIdentifier, packetIdentifier != 0 else { throw .zeroPacketIdentifier }
            body.writeInteger(packetIdentifier, endianness: .big)
        }
        if v5 { try properties.write(to: &body) }
        body.writeImmutableBuffer(payload)
    }
}

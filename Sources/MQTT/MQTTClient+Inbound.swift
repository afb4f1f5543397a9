import NIOCore

/// What the client does with each packet the broker sends once connected.
extension MQTTClient {
    func handle(_ packet: MQTTPacket, on channel: any Channel) throws {
        switch packet {
        case .publish(let publish):
            try receive(publish, on: channel)
        case .pubRel(let release):
            let known = receivedExactlyOnce.remove(release.packetIdentifier) != nil
            let reason: MQTTReasonCode =
                known || protocolVersion != .v5 ? .success : .packetIdentifierNotFound
            channel.writeAndFlush(
                MQTTPacket.pubComp(
                    PublishAckPacket(packetIdentifier: release.packetIdentifier, reasonCode: reason)),
                promise: nil)
        case .pubAck(let ack):
            guard let completion = inFlight.remove(ack.packetIdentifier) else {
                logger.debug("ignoring PUBACK for unknown packet identifier \(ack.packetIdentifier)")
                return
            }
            completion(
                .success(
                    PublishResult(reasonCode: ack.reasonCode, reasonString: ack.properties.reasonString)))
            wakeWindowWaiter()
        case .subAck(let ack), .unsubAck(let ack):
            pendingSubscriptionAcks.removeValue(forKey: ack.packetIdentifier)?.resume(returning: ack)
        case .pingResp:
            break
        case .disconnect(let reason):
            throw MQTTConnectionError.disconnectedByBroker(
                reason.reasonCode, reasonString: reason.properties.reasonString)
        case .connect, .connAck, .pubRec, .pubComp, .subscribe, .unsubscribe, .pingReq, .auth:
            throw MQTTConnectionError.protocolViolation("unexpected \(packet.type) from the broker")
        }
    }

    private func receive(_ publish: PublishPacket, on channel: any Channel) throws {
        let message = MQTTInboundMessage(
            topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain,
            properties: publish.properties)
        switch publish.qos {
        case .atMostOnce:
            deliver(message)
        case .atLeastOnce:
            deliver(message)
            channel.writeAndFlush(
                MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: publish.packetIdentifier!)),
                promise: nil)
        case .exactlyOnce:
            let identifier = publish.packetIdentifier!
            // Delivered once per identifier until PUBREL frees it (MQTT 4.3.3, method B).
            if receivedExactlyOnce.insert(identifier).inserted { deliver(message) }
            channel.writeAndFlush(
                MQTTPacket.pubRec(PublishAckPacket(packetIdentifier: identifier)), promise: nil)
        }
    }

    private func deliver(_ message: MQTTInboundMessage) {
        if case .dropped = messagesContinuation.yield(message) {
            logger.warning(
                "inbound message on \(message.topic) dropped: 1024 messages are waiting to be processed")
        }
    }
}

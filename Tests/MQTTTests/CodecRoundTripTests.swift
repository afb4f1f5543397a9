import NIOCore
import Testing

@testable import MQTT

private func roundTrip(_ packet: MQTTPacket, _ version: MQTTProtocolVersion) throws -> MQTTPacket? {
    var buffer = ByteBuffer()
    try packet.encode(version: version, into: &buffer)
    let decoded = try MQTTPacketDecoder.nextPacket(in: &buffer, version: version, maximumPacketSize: 1 << 20)
    #expect(buffer.readableBytes == 0, "decoder left bytes behind")
    return decoded
}

private let will = MQTTWill(topic: "a/status", payload: Array(#"{"State":"offline,dead"}"#.utf8), qos: .atLeastOnce, retain: true)

/// Packets valid in both versions (no MQTT 5-only content).
private let commonPackets: [MQTTPacket] = [
    .connAck(ConnAckPacket(sessionPresent: true, reasonCode: .success)),
    .connAck(ConnAckPacket(sessionPresent: false, reasonCode: .notAuthorized)),
    .publish(PublishPacket(topic: "springcard/springcore/DA1275B0/rdr/evt", payload: ByteBuffer(string: "{}"), qos: .atMostOnce)),
    .publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, retain: true, dup: true, packetIdentifier: 7)),
    .publish(PublishPacket(topic: "t/2", payload: ByteBuffer(), qos: .exactlyOnce, packetIdentifier: 65535)),
    .pubAck(PublishAckPacket(packetIdentifier: 1)),
    .pubRec(PublishAckPacket(packetIdentifier: 2)),
    .pubRel(PublishAckPacket(packetIdentifier: 3)),
    .pubComp(PublishAckPacket(packetIdentifier: 4)),
    .subscribe(
        SubscribePacket(
            packetIdentifier: 5,
            subscriptions: [
                MQTTSubscription(topicFilter: "a/+/rdr/cmd", qos: .atLeastOnce), MQTTSubscription(topicFilter: "#", qos: .exactlyOnce),
            ])),
    .subAck(SubscriptionAckPacket(packetIdentifier: 5, reasonCodes: [.grantedQoS1, .unspecifiedError])),
    .unsubscribe(UnsubscribePacket(packetIdentifier: 6, topicFilters: ["a/#", "b"])),
    .pingReq,
    .pingResp,
    .disconnect(ReasonPacket()),
]

@Test(
    "every packet survives encode then decode in MQTT 3.1.1",
    arguments: commonPackets + [
        .connect(
            ConnectPacket(
                protocolVersion: .v3_1_1, clientIdentifier: "DA1275B0", cleanStart: true, keepAlive: 10, will: will, username: "u",
                password: [1, 2])),
        .connect(ConnectPacket(protocolVersion: .v3_1_1, clientIdentifier: "", cleanStart: false, keepAlive: 0)),
        .unsubAck(SubscriptionAckPacket(packetIdentifier: 6, reasonCodes: [])),
    ])
func roundTripV3(packet: MQTTPacket) throws {
    #expect(try roundTrip(packet, .v3_1_1) == packet)
}

@Test(
    "every packet survives encode then decode in MQTT 5, properties included",
    arguments: commonPackets + [
        .connect(
            ConnectPacket(
                protocolVersion: .v5, clientIdentifier: "DA1275B0", cleanStart: false, keepAlive: 10,
                will: MQTTWill(
                    topic: "w", payload: [0], qos: .exactlyOnce, retain: false,
                    properties: [.willDelayInterval(5), .contentType("application/json")]),
                password: [9],
                properties: [
                    .sessionExpiryInterval(3600), .receiveMaximum(20), .maximumPacketSize(65536), .userProperty(name: "k", value: "v"),
                ])),
        .connAck(
            ConnAckPacket(
                sessionPresent: false, reasonCode: .success,
                properties: [
                    .receiveMaximum(20), .maximumQoS(1), .retainAvailable(0), .assignedClientIdentifier("auto-1"), .serverKeepAlive(30),
                    .topicAliasMaximum(10), .wildcardSubscriptionAvailable(1), .subscriptionIdentifierAvailable(0),
                    .sharedSubscriptionAvailable(1),
                ])),
        .publish(
            PublishPacket(
                topic: "t", payload: ByteBuffer(string: "x"), qos: .atLeastOnce, packetIdentifier: 9,
                properties: [
                    .payloadFormatIndicator(1), .messageExpiryInterval(60), .responseTopic("r"), .correlationData([1, 2, 3]),
                    .userProperty(name: "event-id", value: "42"), .userProperty(name: "event-id", value: "43"),
                    .subscriptionIdentifier(268_435_455),
                ])),
        .publish(PublishPacket(topic: "", payload: ByteBuffer(), qos: .atMostOnce, properties: [.topicAlias(3)])),
        .pubAck(PublishAckPacket(packetIdentifier: 1, reasonCode: .notAuthorized)),
        .pubAck(PublishAckPacket(packetIdentifier: 1, reasonCode: .quotaExceeded, properties: [.reasonString("slow down")])),
        .pubRec(PublishAckPacket(packetIdentifier: 2, reasonCode: .noMatchingSubscribers)),
        .pubRel(PublishAckPacket(packetIdentifier: 3, reasonCode: .packetIdentifierNotFound)),
        .pubComp(PublishAckPacket(packetIdentifier: 4, reasonCode: .success, properties: [.userProperty(name: "a", value: "b")])),
        .subscribe(
            SubscribePacket(
                packetIdentifier: 5,
                subscriptions: [
                    MQTTSubscription(topicFilter: "a", qos: .atLeastOnce, noLocal: true, retainAsPublished: true, retainHandling: 2)
                ], properties: [.subscriptionIdentifier(12)])),
        .subAck(
            SubscriptionAckPacket(packetIdentifier: 5, reasonCodes: [.grantedQoS2, .topicFilterInvalid], properties: [.reasonString("no")])),
        .unsubAck(SubscriptionAckPacket(packetIdentifier: 6, reasonCodes: [.success, .noSubscriptionExisted])),
        .disconnect(ReasonPacket(reasonCode: .disconnectWithWill)),
        .disconnect(ReasonPacket(reasonCode: .serverShuttingDown, properties: [.reasonString("maintenance"), .serverReference("b2")])),
        .auth(ReasonPacket()),
        .auth(ReasonPacket(reasonCode: .continueAuthentication, properties: [.authenticationMethod("SCRAM"), .authenticationData([1])])),
    ])
func roundTripV5(packet: MQTTPacket) throws {
    #expect(try roundTrip(packet, .v5) == packet)
}

@Test("known bytes: a CONNECT matches the OASIS layout byte for byte")
func connectWireFormat() throws {
    var buffer = ByteBuffer()
    try MQTTPacket.connect(ConnectPacket(protocolVersion: .v3_1_1, clientIdentifier: "ab", cleanStart: true, keepAlive: 10))
        .encode(version: .v3_1_1, into: &buffer)
    #expect(Array(buffer.readableBytesView) == [0x10, 14, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 10, 0, 2, 0x61, 0x62])
}

@Test("a short MQTT 5 PUBACK (success, no properties) is 2 bytes, and a 2-byte PUBACK decodes as success")
func shortPubAck() throws {
    var buffer = ByteBuffer()
    try MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: 0x0102)).encode(version: .v5, into: &buffer)
    #expect(Array(buffer.readableBytesView) == [0x40, 2, 1, 2])
}

@Test("variable byte integers at each length boundary", arguments: [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455])
func variableByteIntegers(value: Int) throws {
    var buffer = ByteBuffer()
    buffer.writeVariableByteInteger(value)
    #expect(buffer.readableBytes == ByteBuffer.variableByteIntegerSize(value))
    #expect(try buffer.readVariableByteIntegerIfComplete(field: "x") == value)
}

@Test("a packet split across reads waits for more data")
func partialPacket() throws {
    var full = ByteBuffer()
    try MQTTPacket.publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "hello"), qos: .atMostOnce)).encode(
        version: .v5, into: &full)
    for cut in 0..<full.readableBytes {
        var partial = full.getSlice(at: 0, length: cut)!
        #expect(try MQTTPacketDecoder.nextPacket(in: &partial, version: .v5, maximumPacketSize: 1024) == nil)
        #expect(partial.readableBytes == cut, "a partial packet must not be consumed")
    }
}

@Test("each property's computed size is what it writes, so a PUBLISH is framed without a trial encoding")
func propertySizes() throws {
    let properties: [MQTTProperty] = [
        .payloadFormatIndicator(1), .messageExpiryInterval(60), .contentType("application/json"), .responseTopic("r/t"),
        .correlationData([1, 2, 3]), .subscriptionIdentifier(200_000), .sessionExpiryInterval(5), .assignedClientIdentifier("id"),
        .serverKeepAlive(30), .authenticationMethod("m"), .authenticationData([9]), .requestProblemInformation(1),
        .willDelayInterval(2), .requestResponseInformation(0), .responseInformation("ri"), .serverReference("other"),
        .reasonString("why"), .receiveMaximum(20), .topicAliasMaximum(10), .topicAlias(3), .maximumQoS(1), .retainAvailable(1),
        .userProperty(name: "event-id", value: "4242"), .maximumPacketSize(1 << 20), .wildcardSubscriptionAvailable(1),
        .subscriptionIdentifierAvailable(1), .sharedSubscriptionAvailable(0),
    ]
    for property in properties {
        var buffer = ByteBuffer()
        try property.write(to: &buffer)
        #expect(buffer.readableBytes == property.encodedSize, "\(property)")
    }
}

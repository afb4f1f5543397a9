import NIOCore
import NIOEmbedded
import Testing

@testable import MQTT

private func publish(_ identifier: UInt16?, qos: MQTTQoS = .atLeastOnce) -> MQTTPacket {
    .publish(PublishPacket(topic: "t", payload: ByteBuffer(string: "\(identifier ?? 0)"), qos: qos, packetIdentifier: identifier))
}

private func identifiers(_ channel: EmbeddedChannel) throws -> [UInt16?] {
    var out: [UInt16?] = []
    while let packet = try channel.readOutbound(as: MQTTPacket.self) {
        if case .publish(let p) = packet { out.append(p.packetIdentifier) }
    }
    return out
}

@Test("at most the broker's Receive Maximum of QoS 1 publishes are on the wire; each PUBACK releases the next")
func windowFollowsReceiveMaximum() throws {
    let channel = EmbeddedChannel(handler: MQTTPublishWindowHandler())
    try channel.writeInbound(
        MQTTPacket.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success, properties: [.receiveMaximum(2)])))
    for identifier in UInt16(1)...4 { channel.write(publish(identifier), promise: nil) }
    channel.write(publish(nil, qos: .atMostOnce), promise: nil)
    channel.flush()
    #expect(try identifiers(channel) == [1, 2, nil], "QoS 0 is never held back")

    try channel.writeInbound(MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: 1)))
    #expect(try identifiers(channel) == [3])
    try channel.writeInbound(MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: 99)))
    #expect(try identifiers(channel) == [], "an unknown PUBACK frees nothing")
    try channel.writeInbound(MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: 2)))
    #expect(try identifiers(channel) == [4])
    _ = try channel.finish(acceptAlreadyClosed: true)
}

@Test("held publishes fail with a closed-channel error when the connection ends, to be re-sent on the next one")
func heldPublishesFailOnClose() throws {
    let channel = EmbeddedChannel(handler: MQTTPublishWindowHandler())
    try channel.writeInbound(
        MQTTPacket.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success, properties: [.receiveMaximum(1)])))
    let first = channel.eventLoop.makePromise(of: Void.self)
    let held = channel.eventLoop.makePromise(of: Void.self)
    channel.write(publish(1), promise: first)
    channel.write(publish(2), promise: held)
    channel.flush()
    _ = try channel.finish(acceptAlreadyClosed: true)
    #expect(throws: ChannelError.self) { try held.futureResult.wait() }
}

import Logging
import MQTT
import NIOCore
import NIOEmbedded
import Testing

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// The broker's end of a testing channel: the packets the client wrote, and the broker's answers
/// written to it as bytes, through the client's whole pipeline.
private struct BrokerEnd {
    let channel: NIOAsyncTestingChannel
    private var unread = ByteBuffer()

    init(_ channel: NIOAsyncTestingChannel) { self.channel = channel }

    mutating func next() async throws -> MQTTPacket {
        while true {
            if let packet = try MQTTPacketDecoder.nextPacket(in: &unread, version: .v5, maximumPacketSize: 1 << 20) { return packet }
            var bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            unread.writeBuffer(&bytes)
        }
    }

    func answer(_ packet: MQTTPacket) async throws {
        var bytes = ByteBuffer()
        try packet.encode(version: .v5, into: &bytes)
        try await channel.writeInbound(bytes)
    }
}

/// A client whose connections are testing channels on `loop`, each handed to the test as it opens.
private func clientOnTestingChannels(_ loop: NIOAsyncTestingEventLoop) throws -> (MQTTClient, AsyncStream<BrokerEnd>) {
    let (connections, opened) = AsyncStream.makeStream(of: BrokerEnd.self)
    let transport = MQTTTransport.channels { _, _, _ in
        let channel = try await NIOAsyncTestingChannel(loop: loop) { _ in }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 8883)).get()
        opened.yield(BrokerEnd(channel))
        return channel
    }
    let configuration = MQTTClientConfiguration(
        host: "broker.test", port: 8883, tls: nil, clientIdentifier: "given-channel",
        backoff: ReconnectBackoff(initial: .milliseconds(10), ceiling: .milliseconds(20)))
    return (
        try MQTTClient(configuration: configuration, eventLoopGroup: loop, logger: quiet, source: nil, transport: transport), connections
    )
}

@Test("a client on channels it is given: CONNECT, a publish answered, and after a lost connection the unanswered one again, DUP")
func clientOnGivenChannels() async throws {
    let loop = NIOAsyncTestingEventLoop()
    let (client, connections) = try clientOnTestingChannels(loop)
    // However the exchange ends, the client stops and the loop is shut down: freed with timers
    // still scheduled, a testing loop stops the whole test process.
    let failure: (any Error)?
    do {
        try await exchange(client, connections)
        failure = nil
    } catch {
        failure = error
    }
    await client.disconnect()
    await loop.shutdownGracefully()
    if let failure { throw failure }
}

private func exchange(_ client: MQTTClient, _ connections: AsyncStream<BrokerEnd>) async throws {
    var opened = connections.makeAsyncIterator()
    async let started = client.start(retryUntilConnected: true)
    var first = try #require(await opened.next())
    guard case .connect(let connect) = try await first.next() else { Issue.record("no CONNECT first"); return }
    #expect(connect.clientIdentifier == "given-channel")
    try await first.answer(.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
    #expect(try await started.reasonCode == .success)

    async let answered = client.publish(topic: "t/1", payload: ByteBuffer(string: "one"), qos: .atLeastOnce)
    guard case .publish(let one) = try await first.next() else { Issue.record("no PUBLISH"); return }
    try await first.answer(.pubAck(PublishAckPacket(packetIdentifier: try #require(one.packetIdentifier))))
    #expect(try await answered.reasonCode == .success)

    async let unanswered = client.publish(topic: "t/2", payload: ByteBuffer(string: "two"), qos: .atLeastOnce)
    guard case .publish(let two) = try await first.next(), !two.dup else { Issue.record("no first PUBLISH of two"); return }
    try await first.channel.close().get()

    var second = try #require(await opened.next())
    guard case .connect = try await second.next() else { Issue.record("no CONNECT on the second channel"); return }
    try await second.answer(.connAck(ConnAckPacket(sessionPresent: true, reasonCode: .success)))
    guard case .publish(let again) = try await second.next() else { Issue.record("no PUBLISH again"); return }
    #expect(again.dup && again.packetIdentifier == two.packetIdentifier && String(buffer: again.payload) == "two")
    try await second.answer(.pubAck(PublishAckPacket(packetIdentifier: try #require(again.packetIdentifier))))
    #expect(try await unanswered.reasonCode == .success)

    await client.disconnect()
    guard case .disconnect = try await second.next() else { Issue.record("no DISCONNECT"); return }
}

@Test("after disconnect, publish and subscribe fail: the answer's promise is failed, not dropped (debug builds stop on that)")
func publishAndSubscribeAfterDisconnect() async throws {
    let loop = NIOAsyncTestingEventLoop()
    let (client, connections) = try clientOnTestingChannels(loop)
    var opened = connections.makeAsyncIterator()
    async let started = client.start(retryUntilConnected: true)
    var broker = try #require(await opened.next())
    guard case .connect = try await broker.next() else { throw MQTTConnectionError.notConnected }
    try await broker.answer(.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
    _ = try await started
    await client.disconnect()
    await #expect(throws: MQTTConnectionError.self) {
        try await client.publish(topic: "t/late", payload: ByteBuffer(string: "late"), qos: .atLeastOnce)
    }
    await #expect(throws: MQTTConnectionError.self) {
        try await client.subscribe([MQTTSubscription(topicFilter: "t/#", qos: .atLeastOnce)])
    }
    // Failed off the loop, the promise takes its value in a task on it: run that before the
    // testing loop's shutdown would drop it.
    await loop.run()
    await loop.shutdownGracefully()
}

@Test("the link is up from the moment the CONNACK is read, before the client actor learns of it, and down once the connection is lost")
func linkUpAtConnAck() async throws {
    let loop = NIOAsyncTestingEventLoop()
    let (client, connections) = try clientOnTestingChannels(loop)
    var opened = connections.makeAsyncIterator()
    async let started = client.start(retryUntilConnected: true)
    var broker = try #require(await opened.next())
    guard case .connect = try await broker.next() else { throw MQTTConnectionError.notConnected }
    #expect(!client.isLinkUp)
    // Read on the loop within `answer`: what a publisher checks right after the greeting sees the link up.
    try await broker.answer(.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success)))
    #expect(client.isLinkUp)
    _ = try await started
    try await broker.channel.close().get()
    #expect(!client.isLinkUp)
    await client.disconnect()
    await loop.run()
    await loop.shutdownGracefully()
}

import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import Synchronization
import Testing

@testable import MQTT

/// A publish source that hands out what it is given and records the answers.
private final class RecordingSource: MQTTPublishSource {
    struct Record {
        var waiting: [MQTTSourceMessage] = []
        var acknowledged: [[UInt64]] = []
        var refused: [UInt64] = []
        var returned: [UInt64] = []
        var waker: (@Sendable () -> Void)?
    }
    let record = Mutex(Record())

    func add(_ tokens: ClosedRange<UInt64>, size: Int? = nil) {
        let waker = record.withLock { record in
            record.waiting += tokens.map {
                MQTTSourceMessage(
                    token: $0, topic: "t", payload: ByteBuffer(string: size.map { String(repeating: "x", count: $0) } ?? "\($0)"))
            }
            return record.waker
        }
        waker?()
    }

    func setWaker(_ waker: @escaping @Sendable () -> Void) { record.withLock { $0.waker = waker } }
    func greeting(localAddress: SocketAddress?) -> MQTTGreeting {
        MQTTGreeting(messages: [OutboundMessage(topic: "hello", payload: ByteBuffer(), qos: .atLeastOnce) { _ in }])
    }
    func nextMessages(limit: Int) -> [MQTTSourceMessage] {
        record.withLock { record in
            defer { record.waiting.removeFirst(min(limit, record.waiting.count)) }
            return Array(record.waiting.prefix(limit))
        }
    }
    func acknowledged(_ tokens: [UInt64]) { record.withLock { $0.acknowledged.append(tokens) } }
    func refused(_ token: UInt64, result: PublishResult) { record.withLock { $0.refused.append(token) } }
    func returned(_ tokens: [UInt64]) { record.withLock { $0.returned += tokens } }
    func subscribed(_ subscriptions: [MQTTSubscription], result: Result<[MQTTReasonCode], any Error>) {}
}

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

private func makeSession(_ source: RecordingSource, on loop: EmbeddedEventLoop) -> MQTTSession {
    let configuration = MQTTClientConfiguration(host: "localhost", port: 1883, tls: nil, clientIdentifier: "session-test")
    source.setWaker {}
    return MQTTSession(eventLoop: loop, configuration: configuration, source: source, logger: quiet) { _ in }
}

/// A connection of `session` on an embedded channel, as the client's pipeline ends, with CONNACK read.
private func connect(
    _ session: MQTTSession, on loop: EmbeddedEventLoop, receiveMaximum: UInt16, version: MQTTProtocolVersion = .v5
) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel(loop: loop)
    let answers = MQTTConnectionAnswers(eventLoop: loop)
    try channel.pipeline.syncOperations.addHandler(MQTTSessionHandler(session: session, version: version, answers: answers))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
    try channel.writeInbound(
        MQTTPacket.connAck(ConnAckPacket(sessionPresent: true, reasonCode: .success, properties: [.receiveMaximum(receiveMaximum)])))
    return channel
}

/// The PUBLISH packets written since the last call: topic, payload as text, and DUP.
private func published(_ channel: EmbeddedChannel) throws -> [String] {
    var out: [String] = []
    while let packet = try channel.readOutbound(as: MQTTPacket.self) {
        if case .publish(let publish) = packet {
            out.append("\(publish.topic):\(String(buffer: publish.payload))\(publish.dup ? " dup" : "")")
        }
    }
    return out
}

/// PUBACKs arriving in one read, as a batch does.
private func readPubAcks(_ channel: EmbeddedChannel, _ acks: [(UInt16, MQTTReasonCode)]) {
    for (identifier, code) in acks {
        channel.pipeline.fireChannelRead(MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: identifier, reasonCode: code)))
    }
    channel.pipeline.fireChannelReadComplete()
}

@Test(
    "the greeting goes first, then the source's messages up to the broker's Receive Maximum; each read's PUBACKs refill the window in one batch"
)
func sourceFollowsReceiveMaximum() throws {
    let source = RecordingSource()
    source.add(1...5)
    let loop = EmbeddedEventLoop()
    let channel = try connect(makeSession(source, on: loop), on: loop, receiveMaximum: 3)
    #expect(try published(channel) == ["hello:", "t:1", "t:2"], "the greeting counts against Receive Maximum too")
    readPubAcks(channel, [(1, .success), (2, .success)])
    #expect(try published(channel) == ["t:3", "t:4"])
    #expect(source.record.withLock { $0.acknowledged } == [[1]])
    readPubAcks(channel, [(3, .success), (4, .success)])
    #expect(try published(channel) == ["t:5"])
    #expect(source.record.withLock { $0.acknowledged } == [[1], [2, 3]], "one answer to the source a read")
    _ = try channel.finish(acceptAlreadyClosed: true)
}

@Test("a refusal goes to the source as a refusal, not an acknowledgement, and its place in the window is freed")
func refusalIsNotAcknowledgement() throws {
    let source = RecordingSource()
    source.add(1...3)
    let loop = EmbeddedEventLoop()
    let channel = try connect(makeSession(source, on: loop), on: loop, receiveMaximum: 2)
    #expect(try published(channel) == ["hello:", "t:1"])
    readPubAcks(channel, [(1, .success), (2, .notAuthorized)])
    #expect(try published(channel) == ["t:2", "t:3"])
    #expect(source.record.withLock { ($0.refused, $0.acknowledged) } == ([1], []))
    _ = try channel.finish(acceptAlreadyClosed: true)
}

@Test(
    "after a lost connection the new greeting goes first, then what was in flight, in order and flagged DUP (the old greeting not), then the rest"
)
func resendAfterReconnect() throws {
    let source = RecordingSource()
    source.add(1...4)
    let loop = EmbeddedEventLoop()
    let session = makeSession(source, on: loop)
    let first = try connect(session, on: loop, receiveMaximum: 3)
    #expect(try published(first) == ["hello:", "t:1", "t:2"])
    readPubAcks(first, [(2, .success)])
    #expect(try published(first) == ["t:3"])
    try first.close().wait()
    source.add(5...5)
    let second = try connect(session, on: loop, receiveMaximum: 10)
    #expect(try published(second) == ["hello:", "t:2 dup", "t:3 dup", "t:4", "t:5"])
    #expect(session.unacknowledgedCount == 5)
    _ = try second.finish(acceptAlreadyClosed: true)
}

@Test("a paused source gives no more, on this connection or the next, and the session is quiet once the wire is answered")
func pausedSourceAndQuiet() throws {
    let source = RecordingSource()
    source.add(1...2)
    let loop = EmbeddedEventLoop()
    let session = makeSession(source, on: loop)
    let channel = try connect(session, on: loop, receiveMaximum: 10)
    #expect(try published(channel) == ["hello:", "t:1", "t:2"])
    let quiet = loop.makePromise(of: Void.self)
    let isQuiet = Mutex(false)
    quiet.futureResult.whenSuccess { isQuiet.withLock { $0 = true } }
    session.pauseSource(whenQuiet: quiet)
    source.add(3...4)
    session.sourceReady()
    readPubAcks(channel, [(1, .success), (2, .success)])
    #expect(try published(channel).isEmpty)
    #expect(!isQuiet.withLock { $0 }, "t:2 is still unanswered")
    readPubAcks(channel, [(3, .success)])
    #expect(isQuiet.withLock { $0 })
    try channel.close().wait()
    let next = try connect(session, on: loop, receiveMaximum: 10)
    #expect(try published(next) == ["hello:"], "a new connection greets, and the source stays paused")
    _ = try next.finish(acceptAlreadyClosed: true)
}

@Test(
    "under MQTT 3.1.1, a message that is the largest on the wire each time the broker hangs up, three times in a row, is refused, not sent for ever"
)
func largestMessageAtEachHangUpIsRefused() throws {
    let source = RecordingSource()
    source.add(1...1)
    source.add(2...2, size: 2000)
    source.add(3...3)
    let loop = EmbeddedEventLoop()
    let session = makeSession(source, on: loop)
    for attempt in 1...3 {
        let channel = try connect(session, on: loop, receiveMaximum: 10, version: .v3_1_1)
        #expect(try published(channel).count == 4, "attempt \(attempt): the greeting and the three messages")
        try channel.close().wait()
    }
    #expect(source.record.withLock { $0.refused } == [2])
    let last = try connect(session, on: loop, receiveMaximum: 10, version: .v3_1_1)
    #expect(try published(last).map { $0.prefix(5) } == ["hello", "t:1 d", "t:3 d"])
    _ = try last.finish(acceptAlreadyClosed: true)
}

@Test("a client that stops gives the source back what it had in flight, in order")
func shutDownReturnsTheSourcesMessages() throws {
    let source = RecordingSource()
    source.add(1...3)
    let loop = EmbeddedEventLoop()
    let session = makeSession(source, on: loop)
    let channel = try connect(session, on: loop, receiveMaximum: 10)
    readPubAcks(channel, [(3, .success)])
    try channel.close().wait()
    session.shutDown(error: MQTTConnectionError.shutDown)
    #expect(source.record.withLock { ($0.acknowledged, $0.returned) } == ([[2]], [1, 3]))
}

@Test("a client stopped before it started refuses to start instead of waiting for a connection forever")
func startAfterDisconnect() async throws {
    let client = try MQTTClient(
        configuration: MQTTClientConfiguration(host: "127.0.0.1", port: 9, tls: nil, clientIdentifier: "stopped"),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quiet)
    await client.disconnect()
    await #expect(throws: MQTTConnectionError.self) { _ = try await client.start(retryUntilConnected: true) }
}

/// A broker that answers CONNECT with CONNACK after `delay`, then keeps the connection open.
private final class SlowConnAck: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let delay: TimeAmount
    init(delay: TimeAmount) { self.delay = delay }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.value.eventLoop.scheduleTask(in: delay) {
            context.value.writeAndFlush(NIOAny(ByteBuffer(bytes: [0x20, 0x03, 0x00, 0x00, 0x00])), promise: nil)
        }
    }
}

@Test("disconnect while CONNACK is on its way returns, and leaves no connection open behind it")
func disconnectDuringConnect() async throws {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { $0.pipeline.addHandler(SlowConnAck(delay: .milliseconds(300))) }
        .bind(host: "127.0.0.1", port: 0).get()
    let client = try MQTTClient(
        configuration: MQTTClientConfiguration(host: "127.0.0.1", port: server.localAddress!.port!, tls: nil, clientIdentifier: "slow"),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quiet)
    let starting = Task { try await client.start(retryUntilConnected: true) }
    try await Task.sleep(for: .milliseconds(100))
    let finished = Mutex(false)
    let stopping = Task {
        await client.disconnect()
        finished.withLock { $0 = true }
    }
    // Without the fix it waits for ever; 15 s leaves room for a loaded machine.
    for _ in 0..<150 where !finished.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(100)) }
    #expect(finished.withLock { $0 }, "disconnect() still waits for a connection that came up after it began")
    #expect(await !client.isConnected)
    starting.cancel()
    stopping.cancel()
    try await server.close()
}

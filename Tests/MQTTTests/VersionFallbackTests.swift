import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization
import Testing

@testable import MQTT

/// What a fake broker does with a CONNECT of one protocol level.
private enum ConnectAnswer: Sendable {
    case accept
    /// Closes the connection without any CONNACK, as RabbitMQ does with a 5.0 CONNECT.
    case hangUp
    /// Says nothing, as amqtt does with a 5.0 CONNECT it cannot parse.
    case silent
    case reply([UInt8])
}

/// What the fake broker does with bytes that are not a CONNECT (a TLS ClientHello).
private enum OtherBytesAnswer: Sendable {
    /// Bytes that are not TLS either.
    case garbage
    case hangUp
    case silence
}

/// A fake broker that notes the protocol level of every CONNECT and answers it as scripted.
private final class VersionScriptedBroker: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let answer: @Sendable (UInt8) -> ConnectAnswer
    let otherBytes: OtherBytesAnswer
    let levels = Mutex<[UInt8]>([])
    private let open = Mutex<[any Channel]>([])

    init(otherBytes: OtherBytesAnswer = .garbage, answer: @escaping @Sendable (UInt8) -> ConnectAnswer) {
        self.answer = answer
        self.otherBytes = otherBytes
    }

    var connections: Int { open.withLock { $0.count } }

    func channelActive(context: ChannelHandlerContext) {
        open.withLock { $0.append(context.channel) }
        context.fireChannelActive()
    }

    /// Closes every connection, as a broker restart does.
    func dropConnections() {
        for channel in open.withLock({ $0 }) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = Array(unwrapInboundIn(data).readableBytesView)
        // Fixed header (2 bytes for a short CONNECT), "\0\4MQTT", then the protocol level.
        guard bytes.count > 8, bytes[0] == 0x10 else {
            switch otherBytes {
            case .garbage:
                context.writeAndFlush(NIOAny(ByteBuffer(bytes: Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8))), promise: nil)
            case .hangUp: context.close(promise: nil)
            case .silence: break
            }
            return
        }
        let level = bytes[8]
        levels.withLock { $0.append(level) }
        let channel = context.channel
        switch answer(level) {
        case .accept:
            context.writeAndFlush(
                NIOAny(ByteBuffer(bytes: level == 5 ? [0x20, 0x03, 0x00, 0x00, 0x00] : [0x20, 0x02, 0x00, 0x00])), promise: nil)
        case .hangUp:
            channel.close(promise: nil)
        case .silent:
            break
        case .reply(let reply):
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: reply))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

private func withVersionBroker(
    otherBytes: OtherBytesAnswer = .garbage, _ answer: @escaping @Sendable (UInt8) -> ConnectAnswer,
    _ body: (Int, VersionScriptedBroker) async throws -> Void
) async throws {
    let broker = VersionScriptedBroker(otherBytes: otherBytes, answer: answer)
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in channel.pipeline.addHandler(broker) }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        try await body(server.localAddress!.port!, broker)
    } catch {
        try await server.close()
        throw error
    }
    try await server.close()
}

private func makeClient(
    port: Int, tls: TLSConfiguration? = nil, fallsBack: Bool = true, backoff: ReconnectBackoff = ReconnectBackoff()
) throws -> MQTTClient {
    try MQTTClient(
        configuration: MQTTClientConfiguration(
            host: "127.0.0.1", port: port, tls: tls, fallsBackToVersion311: fallsBack, clientIdentifier: "version-test",
            // Long enough for a busy machine (the whole suite in parallel) to answer; the silent cases wait it out.
            connectTimeout: .seconds(2), backoff: backoff),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

/// Waits until the broker has seen `count` CONNECTs, at most 10 s.
private func levels(of broker: VersionScriptedBroker, count: Int) async throws -> [UInt8] {
    let deadline = ContinuousClock.now + .seconds(10)
    while broker.levels.withLock({ $0.count }) < count, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    return broker.levels.withLock { $0 }
}

@Test(
    "a 5.0 CONNECT refused (CONNACK 0x84, 3.1.1's return code 1), closed or unanswered: 3.1.1 next, kept for the reconnections, not for a new client",
    arguments: [
        ConnectAnswer.reply([0x20, 0x03, 0x00, 0x84, 0x00]), .reply([0x20, 0x02, 0x00, 0x01]), .hangUp, .silent,
    ])
fileprivate func fallBackAndRemember(answerTo5: ConnectAnswer) async throws {
    // The 3.1.1 connection is accepted and then dropped, as by a broker restart.
    try await withVersionBroker({ level in level == 5 ? answerTo5 : .accept }) { port, broker in
        let client = try makeClient(port: port, backoff: ReconnectBackoff(initial: .milliseconds(10), ceiling: .milliseconds(20)))
        let connAck = try await client.start()
        #expect(connAck.reasonCode == .success)
        #expect(await client.protocolVersion == .v3_1_1)
        let expected: MQTTVersionFallback =
            switch answerTo5 {
            case .hangUp: .closedWithoutConnAck
            case .silent: .silentAfterConnect
            default: .refused
            }
        #expect(await client.versionFallback == expected)
        var events = client.connectionEvents.makeAsyncIterator()
        guard case .connected? = await events.next() else {
            Issue.record("no connected event")
            return
        }
        broker.dropConnections()
        guard case .disconnected? = await events.next(), case .connected? = await events.next() else {
            Issue.record("no reconnection")
            return
        }
        #expect(try await levels(of: broker, count: 3) == [5, 4, 4], "the reconnection goes straight to 3.1.1")
        await client.disconnect()
        // A restart, or a reboot for a new configuration, makes a new client: it tries 5.0 again.
        let next = try makeClient(port: port)
        _ = try await next.start()
        #expect(try await levels(of: broker, count: 5) == [5, 4, 4, 5, 4])
        await next.disconnect()
    }
}

@Test("a close after both a 5.0 and a 3.1.1 CONNECT is not about the version: the error is the close, and 5.0 is tried again")
func closeWithBothVersions() async throws {
    try await withVersionBroker({ _ in .hangUp }) { port, broker in
        let oneShot = try makeClient(port: port)
        do {
            _ = try await oneShot.start()
        } catch MQTTConnectionError.closedByBroker {
        } catch {
            Issue.record("expected closedByBroker, got \(error)")
        }
        #expect(await oneShot.protocolVersion == .v5)
        #expect(await oneShot.versionFallback == nil)
        #expect(try await levels(of: broker, count: 2) == [5, 4])
    }
    try await withVersionBroker({ _ in .hangUp }) { port, broker in
        let daemon = try makeClient(port: port, backoff: ReconnectBackoff(initial: .milliseconds(10), ceiling: .milliseconds(20)))
        let started = Task { try await daemon.start(retryUntilConnected: true) }
        #expect(try await levels(of: broker, count: 6).prefix(6) == [5, 4, 5, 4, 5, 4], "5.0 and 3.1.1 in turn")
        await daemon.disconnect()
        _ = await started.result
    }
}

@Test("with 5.0 pinned, a close or a refusal is reported without trying 3.1.1; the close names the pinned version and the setting")
func pinnedVersion() async throws {
    try await withVersionBroker({ _ in .hangUp }) { port, broker in
        let pinned = try makeClient(port: port, fallsBack: false)
        do {
            _ = try await pinned.start()
            Issue.record("a closed connection succeeded")
        } catch MQTTConnectionError.closedWithVersionPinned {
            #expect("\(MQTTConnectionError.closedWithVersionPinned)".contains("emulator.mqtt-version auto"))
        }
        #expect(try await levels(of: broker, count: 1) == [5])
    }
    try await withVersionBroker({ _ in .reply([0x20, 0x03, 0x00, 0x84, 0x00]) }) { port, broker in
        let pinned = try makeClient(port: port, fallsBack: false)
        do {
            _ = try await pinned.start()
            Issue.record("a refused connection succeeded")
        } catch MQTTConnectionError.refused(let code, _) {
            #expect(code == .unsupportedProtocolVersion)
        }
        #expect(broker.levels.withLock { $0 } == [5])
    }
}

@Test(
    "a TLS handshake answered with garbage, a hang-up or silence (the connect timeout) is a TLS problem: no 3.1.1 attempt",
    arguments: [OtherBytesAnswer.garbage, .hangUp, .silence])
fileprivate func noFallBackWhenTLSFails(otherBytes: OtherBytesAnswer) async throws {
    try await withVersionBroker(otherBytes: otherBytes, { _ in .accept }) { port, broker in
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let client = try makeClient(port: port, tls: tls)
        do {
            _ = try await client.start()
            Issue.record("a TLS client connected to a plain listener")
        } catch MQTTConnectionError.tlsHandshakeFailed {
        } catch MQTTConnectionError.closedByBroker where otherBytes == .hangUp {
        } catch MQTTConnectionError.tlsHandshakeTimeout where otherBytes == .silence {
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(broker.connections == 1, "one attempt only")
        #expect(await client.protocolVersion == .v5)
    }
}

@Test("a TCP connect that fails is not a version problem either")
func noFallBackWhenUnreachable() async throws {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
    let port = server.localAddress!.port!
    try await server.close()
    let client = try makeClient(port: port)
    await #expect(throws: MQTTConnectionError.self) { _ = try await client.start() }
    #expect(await client.protocolVersion == .v5)
    #expect(await client.versionFallback == nil)
}

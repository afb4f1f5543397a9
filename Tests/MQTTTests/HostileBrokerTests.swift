import Logging
import NIOCore
import NIOPosix
import Testing

@testable import MQTT

/// A "broker" that answers any connection with fixed bytes: enough to misbehave on purpose.
private final class ScriptedReply: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Reply once the client's CONNECT has arrived.
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
    }
}

private func withScriptedBroker(_ reply: [UInt8], _ body: (Int) async throws -> Void) async throws {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in channel.pipeline.addHandler(ScriptedReply(reply)) }
        .bind(host: "127.0.0.1", port: 0).get()
    do {
        try await body(server.localAddress!.port!)
    } catch {
        try await server.close()
        throw error
    }
    try await server.close()
}

private func plainClient(port: Int) throws -> MQTTClient {
    try MQTTClient(
        configuration: MQTTClientConfiguration(
            host: "127.0.0.1", port: port, tls: nil, clientIdentifier: "hostile-test", connectTimeout: .seconds(2), maximumPacketSize: 1024),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
}

private let connAck: [UInt8] = [0x20, 0x03, 0x00, 0x00, 0x00]

/// Connects to a broker that accepts, then sends `bytes`; returns why the connection ended.
private func disconnection(afterConnAckThen bytes: [UInt8]) async throws -> (any Error)? {
    var reason: (any Error)?
    try await withScriptedBroker(connAck + bytes) { port in
        let client = try plainClient(port: port)
        _ = try await client.start()
        var events = client.connectionEvents.makeAsyncIterator()
        guard case .connected? = await events.next() else {
            Issue.record("not connected")
            return
        }
        if case .disconnected(let error)? = await events.next() { reason = error }
        await client.disconnect()
    }
    return reason
}

@Test("a malformed packet after CONNACK is a typed error and ends the connection, not the process")
func malformedAfterConnAck() async throws {
    let error = try await disconnection(afterConnAckThen: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
    guard case MQTTConnectionError.malformedPacket(.malformedVariableByteInteger)? = error else {
        Issue.record("expected a malformed-packet disconnection, got \(String(describing: error))")
        return
    }
}

@Test("an oversized packet is refused from its header alone")
func oversizedFromBroker() async throws {
    let error = try await disconnection(afterConnAckThen: [0x30, 0xFF, 0xFF, 0x7F])
    guard case MQTTConnectionError.malformedPacket(.packetTooLarge(_, 1024))? = error else {
        Issue.record("expected packet too large, got \(String(describing: error))")
        return
    }
}

@Test("a PUBLISH before CONNACK is a protocol violation reported by start()")
func publishBeforeConnAck() async throws {
    try await withScriptedBroker([0x30, 0x05, 0x00, 0x01, 0x61, 0x00, 0x62]) { port in
        let client = try plainClient(port: port)
        do {
            _ = try await client.start()
            Issue.record("start() succeeded against a broker that broke the protocol")
        } catch MQTTConnectionError.protocolViolation(let what) {
            #expect(what == "PUBLISH before CONNACK")
        }
    }
}

@Test(
    "a server DISCONNECT ends the connection with its reason code, a message a user can act on, and the broker's reason string",
    arguments: [
        (0x8E, "session taken over: another client connected with the same client ID"),
        (0x97, "quota exceeded; the broker limits this client"),
        (0x87, "not authorized; the broker's ACL does not allow this client on this topic"),
        (0x95, "packet too large for the broker's maximum packet size"),
    ] as [(UInt8, String)])
func serverDisconnect(code: UInt8, message: String) async throws {
    // DISCONNECT, reason `code`, properties: reason string "bye".
    let reason = try await disconnection(afterConnAckThen: [0xE0, 0x08, code, 0x06, 0x1F, 0x00, 0x03] + Array("bye".utf8))
    guard case MQTTConnectionError.disconnectedByBroker(let received, let reasonString)? = reason else {
        Issue.record("expected a server DISCONNECT, got \(String(describing: reason))")
        return
    }
    #expect(received.rawValue == code && reasonString == "bye")
    #expect("\(reason!)".contains(message) && "\(reason!)".contains("(bye)"), "\(reason!)")
}

@Test("a refusing CONNACK under MQTT 5 reports the reason code and string")
func refusedConnAck() async throws {
    // CONNACK, reason 0x86, properties: reason string "nope".
    try await withScriptedBroker([0x20, 0x0A, 0x00, 0x86, 0x07, 0x1F, 0x00, 0x04] + Array("nope".utf8)) { port in
        let client = try plainClient(port: port)
        do {
            _ = try await client.start()
            Issue.record("a refused connection succeeded")
        } catch MQTTConnectionError.refused(let code, let reason) {
            #expect(code == .badUserNameOrPassword)
            #expect(reason == "nope")
        }
    }
}

/// A broker that speaks only 3.1.1: it answers a 5.0 CONNECT with `refusal` and closes, and a
/// 3.1.1 CONNECT with a successful CONNACK.
private final class OnlyVersion311: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let refusal: [UInt8]
    init(refusal: [UInt8]) { self.refusal = refusal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connect = Array(unwrapInboundIn(data).readableBytesView)
        // Fixed header (2 bytes for a short CONNECT), "\0\4MQTT", then the protocol level.
        guard connect.count > 8, connect[0] == 0x10 else { return }
        if connect[8] == 5 {
            let channel = context.channel
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: refusal))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: [0x20, 0x02, 0x00, 0x00])), promise: nil)
        }
    }
}

@Test(
    "a broker that refuses MQTT 5.0 gets 3.1.1 instead: both a 3.1.1-style refusal and a 5.0 CONNACK 0x84",
    arguments: [[0x20, 0x02, 0x00, 0x01], [0x20, 0x03, 0x00, 0x84, 0x00]] as [[UInt8]])
func fallBackTo311(refusal: [UInt8]) async throws {
    let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in channel.pipeline.addHandler(OnlyVersion311(refusal: refusal)) }
        .bind(host: "127.0.0.1", port: 0).get()
    let client = try plainClient(port: server.localAddress!.port!)
    #expect(await client.protocolVersion == .v5)
    let connAck = try await client.start()
    #expect(connAck.reasonCode == .success)
    #expect(await client.protocolVersion == .v3_1_1)
    await client.disconnect()
    try await server.close()
}

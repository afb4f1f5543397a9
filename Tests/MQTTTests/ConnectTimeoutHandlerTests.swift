import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import MQTT

private let connect = MQTTPacket.connect(
    ConnectPacket(
        protocolVersion: .v5, clientIdentifier: "c", cleanStart: true, keepAlive: 10, will: nil, username: nil, password: nil,
        properties: []))

@Test("no CONNACK within the connect timeout of the CONNECT being written: the connection closes with connectTimeout")
func connectTimeoutFires() throws {
    let channel = EmbeddedChannel(handler: MQTTConnectTimeoutHandler(timeout: .seconds(2), overTLS: false))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
    channel.embeddedEventLoop.advanceTime(by: .seconds(5))
    #expect(channel.isActive, "the clock starts with the CONNECT, not with the TCP connection")
    try channel.writeOutbound(connect)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
    #expect(channel.isActive)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(1))
    #expect(!channel.isActive)
    do {
        try channel.throwIfErrorCaught()
        Issue.record("no error was raised")
    } catch MQTTConnectionError.connectTimeout(let seconds) {
        #expect(seconds == 2)
    } catch {
        Issue.record("expected connectTimeout, got \(error)")
    }
}

@Test("a CONNACK read in time stops the timer for good, however late the rest of the client gets to it")
func connAckStopsTheTimer() throws {
    let channel = EmbeddedChannel(handler: MQTTConnectTimeoutHandler(timeout: .seconds(2), overTLS: false))
    try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1883)).wait()
    try channel.writeOutbound(connect)
    channel.embeddedEventLoop.advanceTime(by: .milliseconds(1999))
    try channel.writeInbound(MQTTPacket.connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success, properties: [])))
    channel.embeddedEventLoop.advanceTime(by: .seconds(10))
    #expect(channel.isActive)
    #expect(try channel.readInbound(as: MQTTPacket.self) != nil, "the CONNACK is passed on")
    #expect(try channel.readOutbound(as: MQTTPacket.self) != nil, "the CONNECT is passed on")
    _ = try channel.finish()
}

@Test("over TLS, a timeout before the handshake finished is told as TLS's (the broker never saw the CONNECT); after it, as no CONNACK")
func timeoutBeforeAndAfterTLS() throws {
    for handshakeDone in [false, true] {
        let channel = EmbeddedChannel(handler: MQTTConnectTimeoutHandler(timeout: .seconds(2), overTLS: true))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8883)).wait()
        try channel.writeOutbound(connect)
        if handshakeDone { channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil)) }
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
        do {
            try channel.throwIfErrorCaught()
            Issue.record("no error was raised")
        } catch MQTTConnectionError.tlsHandshakeTimeout(let seconds) {
            #expect(!handshakeDone && seconds == 2)
            #expect("\(MQTTConnectionError.tlsHandshakeTimeout(seconds: 2))".contains("does not answer TLS"))
        } catch MQTTConnectionError.connectTimeout {
            #expect(handshakeDone)
        }
    }
}

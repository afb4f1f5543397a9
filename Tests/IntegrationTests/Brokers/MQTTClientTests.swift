import Foundation
import Gateway
import Logging
import MQTT
import NIOCore
import NIOPosix
import NIOSSL
import TestSupport
import Testing

private let group = MultiThreadedEventLoopGroup.singleton

/// A client with a Control identity, reconnecting quickly, for tests of the MQTT layer alone.
func client(
    _ fixture: BrokerFixture, cn: String, keepAlive: UInt16 = 30, connectTimeout: Duration = .seconds(5), keptSession: Bool = false,
    maximumPacketSize: Int = 1 << 20
) throws -> MQTTClient {
    let prefix = try fixture.identity(role: .control, cn: cn)
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(fixture.pki.rootCertificatePath))
    tls.certificateChain = try NIOSSLCertificate.fromPEMFile(prefix + ".crt").map { .certificate($0) }
    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: prefix + ".key", format: .pem))
    return try MQTTClient(
        configuration: MQTTClientConfiguration(
            host: "localhost", port: fixture.broker.port, tls: tls, clientIdentifier: cn, cleanStart: !keptSession,
            sessionExpiryInterval: keptSession ? 300 : 0, keepAlive: keepAlive,
            connectTimeout: connectTimeout, maximumPacketSize: maximumPacketSize,
            backoff: ReconnectBackoff(initial: .milliseconds(100), ceiling: .milliseconds(400))),
        eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: quietLogger)
}

@Suite("the MQTT client against mosquitto")
struct MQTTClientTests {
    @Test("inbound PUBLISH at QoS 0, 1 and 2 is delivered once each and acknowledged per spec")
    func inboundQoS() async throws {
        try await BrokerFixture.with { fixture in
            let receiver = try client(fixture, cn: "control-it")
            _ = try await receiver.start()
            let granted = try await receiver.subscribe([MQTTSubscription(topicFilter: "in/#", qos: .exactlyOnce)])
            #expect(granted == [.grantedQoS2])
            let sender = try fixture.identity(role: .control, cn: "control-it")
            for qos in 0...2 {
                let result = try await runTool(
                    "mosquitto_pub",
                    fixture.tlsArguments(prefix: sender, clientID: "sender-\(qos)") + [
                        "-t", "in/\(qos)", "-m", "q\(qos)", "-q", String(qos),
                    ])
                #expect(result.status == 0, "\(result.output)")
            }
            var received: [(String, MQTTQoS)] = []
            for await message in receiver.inboundMessages {
                received.append((String(buffer: message.payload), message.qos))
                if received.count == 3 { break }
            }
            #expect(received.map(\.0) == ["q0", "q1", "q2"])
            #expect(received.map(\.1) == [.atMostOnce, .atLeastOnce, .exactlyOnce])
            // A QoS 2 exchange left unfinished would make mosquitto resend; nothing more may arrive.
            try await Task.sleep(for: .milliseconds(300))
            await receiver.disconnect()
            var extra = 0
            for await _ in receiver.inboundMessages { extra += 1 }
            #expect(extra == 0)
        }
    }

    @Test("a frozen broker is detected within 1.5 x keep-alive; after it thaws the client reconnects and the queued publish is delivered")
    func deadLinkAndReconnect() async throws {
        try await BrokerFixture.with { fixture in
            let observer = try await fixture.watch("springcard/springcore/#")
            let device = try client(fixture, cn: "control-it", keepAlive: 2, connectTimeout: .seconds(2))
            _ = try await device.start()
            var events = device.connectionEvents.makeAsyncIterator()
            guard case .connected? = await events.next() else { Issue.record("no connected event"); return }

            await fixture.broker.signal(SIGSTOP)
            let frozen = ContinuousClock.now
            let lost = await events.next()
            let detection = ContinuousClock.now - frozen
            guard case .disconnected(let error)? = lost, case MQTTConnectionError.keepAliveTimeout = error else {
                Issue.record("expected a keep-alive timeout, got \(String(describing: lost))")
                await fixture.broker.signal(SIGCONT)
                return
            }
            #expect(
                detection <= .milliseconds(3_000 + 1_000), "detected after \(detection); the bound is 1.5 x 2 s, plus scheduling under load"
            )

            let pending = Task {
                try await device.publish(
                    topic: "springcard/springcore/X/rdr/evt", payload: ByteBuffer(string: "during the outage"), qos: .atLeastOnce)
            }
            try await Task.sleep(for: .milliseconds(500))
            await fixture.broker.signal(SIGCONT)
            let result = try await pending.value
            #expect(result.reasonCode == .success)
            try await observer.waitFor("the message sent during the outage") {
                $0.lines.contains("springcard/springcore/X/rdr/evt during the outage")
            }
            await device.disconnect()
        }
    }

    @Test("a kept session (clean start off, session expiry set) survives a disconnection: the broker queues for it")
    func keptSession() async throws {
        try await BrokerFixture.with { fixture in
            let first = try client(fixture, cn: "control-it", keptSession: true)
            let fresh = try await first.start()
            #expect(!fresh.sessionPresent)
            _ = try await first.subscribe([MQTTSubscription(topicFilter: "kept/#", qos: .atLeastOnce)])
            await first.disconnect()

            let sender = try fixture.identity(role: .control, cn: "control-it")
            try await runTool(
                "mosquitto_pub", fixture.tlsArguments(prefix: sender, clientID: "sender") + ["-t", "kept/1", "-m", "while away", "-q", "1"])

            let second = try client(fixture, cn: "control-it", keptSession: true)
            let resumed = try await second.start()
            #expect(resumed.sessionPresent)
            var messages = second.inboundMessages.makeAsyncIterator()
            let message = await messages.next()
            #expect(message.map { String(buffer: $0.payload) } == "while away")
            await second.disconnect()
        }
    }
}

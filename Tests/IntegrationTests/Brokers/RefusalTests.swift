import DeviceIdentity
import Foundation
import Gateway
import MQTT
import NIOCore
import NIOPosix
import SpringCore
import TagReaders
import TestSupport
import Testing

private let group = MultiThreadedEventLoopGroup.singleton
private let oneEvent = try! Trace.parse(Data(#"{"t":0,"TagId":"01020304","Move":"Insert"}"#.utf8), file: "one.jsonl")

@Suite("refusals: the device will not talk to the wrong broker or as the wrong client")
struct RefusalTests {
    @Test("(4) a configured client ID that differs from the certificate CN is refused, showing both")
    func clientIDMismatch() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            try state.editConfiguration { $0.setString(.clientID, "SOMEONE") }
            let error = await replayFailure(state)
            guard case GatewayError.clientIDMismatch("SOMEONE", "DA1275B0", _)? = error else {
                Issue.record("expected a client ID mismatch, got \(String(describing: error))")
                return
            }
            #expect("\(error!)".contains("\"SOMEONE\"") && "\(error!)".contains("\"DA1275B0\""))
        }
    }

    @Test("(5) a broker whose certificate does not chain to the configured CA is refused")
    func foreignBrokerCA() async throws {
        let foreignDirectory = (NSTemporaryDirectory() as NSString).appendingPathComponent("sr-foreign-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(atPath: foreignDirectory) }
        try await BrokerFixture.with(brokerIdentity: { _, prefix in
            try DevelopmentPKI.create(at: foreignDirectory)
                .issue(role: .broker, commonName: "localhost", subjectAlternativeNames: ["localhost", "127.0.0.1", "::1"]).write(
                    prefix: prefix)
        }) { fixture in
            try await expectTLSRefusal(state: try fixture.provision())
        }
    }

    @Test("(6) a broker certificate for another host name is refused")
    func hostnameMismatch() async throws {
        try await BrokerFixture.with(brokerIdentity: { pki, prefix in
            try pki.issue(role: .broker, commonName: "broker.example", subjectAlternativeNames: ["broker.example"]).write(prefix: prefix)
        }) { fixture in
            try await expectTLSRefusal(state: try fixture.provision())
        }
    }

    private func expectTLSRefusal(state: DeviceStateDirectory) async throws {
        let error = await replayFailure(state)
        guard case MQTTConnectionError.tlsHandshakeFailed? = error else {
            Issue.record("expected a TLS refusal, got \(String(describing: error))")
            return
        }
    }

    /// What a one-event replay with this device throws; nil when it succeeds.
    private func replayFailure(_ state: DeviceStateDirectory) async -> (any Error)? {
        do {
            _ = try await ReplayJob.run(
                trace: oneEvent, speed: nil, state: state, options: DeviceRunOptions(), eventLoopGroup: group, logger: quietLogger)
            return nil
        } catch {
            return error
        }
    }

    @Test("(7) under MQTT 5 a publish outside the device's own topics gets PUBACK 0x87, and replay reports it")
    func notAuthorizedOutsideOwnTopics() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let settings = try DeviceSettings(state: state, brokerOverride: fixture.address)
            let identity = try DeviceTLSIdentity(settings: settings, state: state, options: DeviceRunOptions(), logger: quietLogger)
            let client = try MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: "localhost", port: fixture.broker.port, tls: identity.configuration, clientIdentifier: identity.clientID),
                eventLoopGroup: group, logger: quietLogger)
            _ = try await client.start()
            let own = try await client.publish(
                topic: "springcard/springcore/DA1275B0/rdr/evt", payload: ByteBuffer(string: "{}"), qos: .atLeastOnce)
            #expect(!own.reasonCode.isFailure, "own topic: \(own.reasonCode)")
            let other = try await client.publish(
                topic: "springcard/springcore/CAFEBABE/rdr/evt", payload: ByteBuffer(string: "{}"), qos: .atLeastOnce)
            #expect(other.reasonCode == .notAuthorized)
            await client.disconnect()

            // The same through the device: a Device ID register that points outside its ACL.
            try state.editConfiguration { $0.setString(.deviceID, "CAFEBABE") }
            let error = await replayFailure(state)
            #expect(error is ReplayError, "expected refused events, got \(String(describing: error))")
        }
    }

    @Test("TLS switched off in register 0288 is refused without --insecure")
    func plaintextRefused() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            try state.editConfiguration { $0[.tlsOptions] = [0, 0, 0, 0, 0] }
            let error = await replayFailure(state)
            guard case GatewayError.plaintextRefused? = error else {
                Issue.record("expected plain MQTT to be refused, got \(String(describing: error))")
                return
            }
        }
    }
}

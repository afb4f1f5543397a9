import DeviceIdentity
import Foundation
import Gateway
import MQTT
import NIOPosix
import SpringCore
import TagReaders
import TestSupport
import Testing

private let oneEvent = try! Trace.parse(Data(#"{"t":0,"TagId":"01020304","Move":"Insert"}"#.utf8), file: "one.jsonl")

/// The message a one-event replay fails with, and which TLS check it names.
private func replayFailure(_ state: DeviceStateDirectory) async -> (message: String, check: TLSHandshakeCheck?) {
    do {
        _ = try await ReplayJob.run(
            trace: oneEvent, speed: nil, state: state, options: DeviceRunOptions(), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger)
        return ("", nil)
    } catch {
        return ("\(error)", (error as? MQTTConnectionError)?.tlsCheck)
    }
}

/// NIOSSL's raw text carries BoringSSL reason codes, the build's source paths and "Couldn't find <none>".
private func expectPlainWords(_ message: String) {
    #expect(!message.contains(".cc:") && !message.contains("Couldn't find") && !message.contains("OPENSSL_internal"), "\(message)")
    #expect(!message.contains("/"), "no paths: \(message)")
    #expect(message.contains("smartreader doctor --state-dir DIR"), "\(message)")
}

@Suite("TLS failures say which check failed, in plain words")
struct TLSMessageTests {
    @Test("a broker signed by another CA: the broker's chain")
    func foreignChain() async throws {
        let foreign = temporaryDirectory("foreign-pki")
        try await BrokerFixture.with(brokerIdentity: { _, prefix in
            try DevelopmentPKI.create(at: foreign).issue(role: .broker, commonName: "localhost", subjectAlternativeNames: ["localhost"])
                .write(prefix: prefix)
        }) { fixture in
            let failure = await replayFailure(try fixture.provision())
            #expect(failure.check == .brokerChain, "\(failure.message)")
            #expect(failure.message.contains("the broker's certificate does not chain to the CA the device trusts"), "\(failure.message)")
            expectPlainWords(failure.message)
        }
    }

    @Test("a broker certificate for another name, reached by name and by IP: the broker's name")
    func wrongName() async throws {
        try await BrokerFixture.with(brokerIdentity: { pki, prefix in
            try pki.issue(role: .broker, commonName: "broker.example", subjectAlternativeNames: ["broker.example"]).write(prefix: prefix)
        }) { fixture in
            let state = try fixture.provision()
            var failure = await replayFailure(state)
            #expect(failure.check == .brokerName && failure.message.contains("does not name localhost"), "\(failure.message)")
            expectPlainWords(failure.message)
            try state.editConfiguration { $0.setString(.broker, "127.0.0.1") }
            failure = await replayFailure(state)
            #expect(failure.check == .brokerName && failure.message.contains("does not name 127.0.0.1"), "\(failure.message)")
            expectPlainWords(failure.message)
        }
    }

    @Test("a broker that cannot chain the device's certificate (the client CA not sent): our certificate")
    func ourCertificateRefused() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            _ = try await runTool(binary, ["config", "set", "--state-dir", state.path, "tls.send-client-ca", "off"])
            let failure = await replayFailure(state)
            #expect(failure.check == .ourCertificate, "\(failure.message)")
            #expect(failure.message.contains("the broker refused the device's certificate"), "\(failure.message)")
            expectPlainWords(failure.message)
        }
    }
}

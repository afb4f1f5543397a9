import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import NIOPosix
import SpringCore
import TestSupport
import Testing

@Suite("smartreader doctor against mosquitto")
struct DoctorTests {
    private func doctor(_ state: DeviceStateDirectory, _ extra: [String] = []) async throws -> (status: Int32, output: String) {
        try await runTool(binary, ["doctor", "--state-dir", state.path] + extra)
    }

    @Test("a healthy device: every check passes, the ACL allows the own topic and refuses another's; a world-readable key fails")
    func healthy() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let result = try await doctor(state)
            #expect(result.status == 0, "\(result.output)")
            for check in [
                "key matches certificate", "certificate dates", "chain sent to the broker", "CN = client ID", "key file permissions",
                "broker reachable, TLS", "broker chain", "broker name", "broker accepts the device (CONNACK)", "ACL",
            ] {
                #expect(result.output.contains("ok    \(check):"), "\(check): \(result.output)")
            }
            #expect(result.output.contains("not authorized"), "mosquitto refuses another device's topic with 0x87: \(result.output)")
            #expect(result.output.contains("cipher TLS_"), "\(result.output)")

            let key = try DeviceEnrolment(state: state).keyPath
            chmod(key, 0o644)
            let json = try await doctor(state, ["--json"])
            #expect(json.status != 0)
            let rows = try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: String]] ?? []
            let permissions = rows.first { $0["check"] == "key file permissions" }
            #expect(permissions?["outcome"] == "failed" && permissions?["fix"] == "chmod 600 \(key)", "\(rows)")
        }
    }

    @Test("a broker that sends its certificate without its intermediate: the doctor names the commonest fault")
    func missingIntermediate() async throws {
        try await BrokerFixture.with(brokerIdentity: { pki, prefix in
            let issued = try pki.issue(role: .broker, commonName: "localhost", subjectAlternativeNames: ["localhost", "127.0.0.1", "::1"])
            try ProtectedFile.write(issued.privateKeyPEM, to: prefix + ".key", mode: 0o600)
            try ProtectedFile.write(issued.certificatePEM, to: prefix + ".crt", mode: 0o644)
        }) { fixture in
            let result = try await doctor(try fixture.provision())
            #expect(result.status != 0)
            #expect(result.output.contains("FAIL  broker chain: the broker sent its certificate alone"), "\(result.output)")
            #expect(result.output.contains("put its intermediate CA after its certificate"), "\(result.output)")
        }
    }

    @Test("a broker signed by another CA, and a broker whose certificate does not name the host: each diagnosed as such")
    func otherCAAndWrongName() async throws {
        let foreign = temporaryDirectory("foreign-pki")
        try await BrokerFixture.with(brokerIdentity: { _, prefix in
            try DevelopmentPKI.create(at: foreign).issue(role: .broker, commonName: "localhost", subjectAlternativeNames: ["localhost"])
                .write(prefix: prefix)
        }) { fixture in
            let result = try await doctor(try fixture.provision())
            #expect(result.status != 0)
            #expect(result.output.contains("FAIL  broker chain: the chain the broker sent ends at"), "\(result.output)")
            #expect(result.output.contains("the broker is signed by another CA"), "\(result.output)")
        }
        try await BrokerFixture.with(brokerIdentity: { pki, prefix in
            try pki.issue(role: .broker, commonName: "broker.example", subjectAlternativeNames: ["broker.example"]).write(prefix: prefix)
        }) { fixture in
            let result = try await doctor(try fixture.provision())
            #expect(result.status != 0)
            #expect(result.output.contains("ok    broker chain"), "\(result.output)")
            #expect(
                result.output.contains("FAIL  broker name: localhost is not among the certificate's names (broker.example)"),
                "\(result.output)")
        }
    }

    @Test("the device's own faults: another key, an expired certificate, a client ID that is not the CN, a chain without its CA, no broker")
    func deviceFaults() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let enrolment = try DeviceEnrolment(state: state)
            let (certificate, key) = try (ProtectedFile.read(enrolment.certificatePath), ProtectedFile.read(enrolment.keyPath))
            func restore() throws {
                try ProtectedFile.write(certificate, to: enrolment.certificatePath, mode: 0o644)
                try ProtectedFile.write(key, to: enrolment.keyPath, mode: 0o600)
            }

            try ProtectedFile.write(
                try fixture.pki.issue(role: .device, commonName: "DA1275B0").privateKeyPEM, to: enrolment.keyPath, mode: 0o600)
            var result = try await doctor(state)
            #expect(result.status != 0 && result.output.contains("FAIL  key matches certificate"), "\(result.output)")
            try restore()

            let expired = try fixture.pki.issue(
                role: .device, commonName: "DA1275B0",
                validity: Date(timeIntervalSinceNow: -400 * 86_400)...Date(timeIntervalSinceNow: -86_400))
            try ProtectedFile.write(expired.certificatePEM, to: enrolment.certificatePath, mode: 0o644)
            try ProtectedFile.write(expired.privateKeyPEM, to: enrolment.keyPath, mode: 0o600)
            result = try await doctor(state)
            #expect(result.status != 0 && result.output.contains("FAIL  certificate dates: expired on"), "\(result.output)")
            try restore()

            // `config set` refuses a client ID the certificate does not carry; config.json edited by hand can still hold one.
            try state.editConfiguration { $0.setString(.clientID, "SOMEONE") }
            result = try await doctor(state)
            #expect(
                result.output.contains(#"FAIL  CN = client ID: register 028D says "SOMEONE", the certificate's CN is "DA1275B0""#),
                "\(result.output)")
            try state.editConfiguration { $0.setString(.clientID, "") }

            // The certificate slot holds the leaf alone; without the client CA sent, mosquitto (trusting the root only) cannot chain it.
            _ = try await runTool(binary, ["config", "set", "--state-dir", state.path, "tls.send-client-ca", "off"])
            result = try await doctor(state)
            #expect(result.output.contains("WARN  chain sent to the broker: only the certificate is sent"), "\(result.output)")
            #expect(result.status != 0 && result.output.contains("FAIL  broker accepts the device (CONNACK)"), "\(result.output)")
            #expect(result.output.contains("the broker does not accept the device's certificate: send the client CA"), "\(result.output)")
            _ = try await runTool(binary, ["config", "set", "--state-dir", state.path, "tls.send-client-ca", "on"])

            result = try await doctor(state, ["--broker", "127.0.0.1:1"])
            #expect(
                result.status != 0 && result.output.contains("FAIL  broker reachable, TLS: 127.0.0.1:1: cannot open a TCP connection"),
                "\(result.output)")
            #expect(result.output.contains("check the broker address and port"), "\(result.output)")
        }
    }

    @Test("a broker whose ACL lets a device write another device's topics: the doctor says the ACL does not confine it")
    func permissiveACL() async throws {
        try await BrokerFixture.with { fixture in
            // mosquitto reads its ACL file again on SIGHUP.
            try "pattern readwrite #\n".write(toFile: fixture.broker.configurationPath + ".acl", atomically: true, encoding: .utf8)
            await fixture.broker.signal(SIGHUP)
            let state = try fixture.provision()
            // The reload takes effect at mosquitto's next loop: ask until it has.
            var result = try await doctor(state)
            for _ in 0..<40 where !result.output.contains("FAIL  ACL") {
                try await Task.sleep(for: .milliseconds(250))
                result = try await doctor(state)
            }
            #expect(result.status != 0, "\(result.output)")
            #expect(result.output.contains("FAIL  ACL: publishing to another device's topic"), "\(result.output)")
            #expect(result.output.contains("must confine a device to {prefix}/{its CN}/#"), "\(result.output)")
        }
    }

    @Test("a port that accepts connections but speaks no TLS: the doctor gives up after 10 s and says what the port may be")
    func silentPort() async throws {
        // Accepts and then says nothing, like a plain MQTT listener waiting for CONNECT.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        try await BrokerFixture.with { fixture in
            let result = try await doctor(try fixture.provision(), ["--broker", "127.0.0.1:\(silent.localAddress!.port!)"])
            #expect(
                result.status != 0 && result.output.contains("no TLS handshake within 10 s; is this port a TLS listener?"),
                "\(result.output)")
        }
        try await silent.close()
    }
}

import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import SpringCore
import TestSupport
import Testing
import X509

@Suite("renewing a device's identity from the command line")
struct EnrolmentTests {
    private func provisioned() throws -> (DevelopmentPKI, DeviceStateDirectory) {
        let directory = temporaryDirectory("enrol")
        let pki = try DevelopmentPKI.create(at: directory + "/pki")
        let state = DeviceStateDirectory(path: directory + "/device")
        try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
            .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "127.0.0.1", port: 1))
        return (pki, state)
    }

    @Test("csr, a CA's signature, install: the new key and certificate replace the old pair; a wrong certificate changes nothing")
    func requestSignInstall() async throws {
        let (pki, state) = try provisioned()
        let enrolment = try DeviceEnrolment(state: state)
        let oldCertificate = try ProtectedFile.read(enrolment.certificatePath)
        let oldKey = try ProtectedFile.read(enrolment.keyPath)

        let request = try await runTool(binary, ["pki", "csr", "--state-dir", state.path, "--key-type", "rsa2048"])
        #expect(request.status == 0 && request.output.contains("BEGIN CERTIFICATE REQUEST"), "\(request.output)")
        #expect(!ProtectedFile.othersCanRead(enrolment.pendingKeyPath))
        #expect(try ProtectedFile.read(enrolment.keyPath) == oldKey, "the running identity is untouched until install")

        // A certificate for another key (the old one) is refused, and nothing moves.
        let stale = state.path + "/stale.crt"
        try ProtectedFile.write(oldCertificate, to: stale, mode: 0o644)
        let refused = try await runTool(binary, ["pki", "install", "--state-dir", state.path, stale])
        #expect(refused.status != 0 && refused.output.contains("certifies another key"), "\(refused.output)")
        #expect(try ProtectedFile.read(enrolment.certificatePath) == oldCertificate && ProtectedFile.read(enrolment.keyPath) == oldKey)

        let signed = state.path + "/new.crt"
        let signing = try await runTool(binary, ["pki", "sign", pki.directory, "--csr", enrolment.requestPath, "--out", signed])
        #expect(signing.status == 0, "\(signing.output)")
        let installed = try await runTool(binary, ["pki", "install", "--state-dir", state.path, signed])
        #expect(installed.status == 0 && installed.output.contains("installed CN=DA1275B0"), "\(installed.output)")
        let certificate = try CertificateFile(path: enrolment.certificatePath)
        try certificate.verifyKey(at: enrolment.keyPath)
        #expect(try ProtectedFile.read(enrolment.certificatePath) != oldCertificate)
        #expect(!FileManager.default.fileExists(atPath: enrolment.pendingKeyPath))
        #expect(!ProtectedFile.othersCanRead(enrolment.keyPath))
        let verify = try await runTool(
            "openssl",
            ["verify", "-CAfile", pki.rootCertificatePath, "-untrusted", state.certificatePath(slot: 0x0F), enrolment.certificatePath])
        #expect(verify.status == 0, "\(verify.output)")
    }

    @Test("the device refuses to start with an expired certificate and warns 30 days before the end")
    func expiry() async throws {
        let (pki, state) = try provisioned()
        let enrolment = try DeviceEnrolment(state: state)
        let trace = state.path + "/one.jsonl"
        try #"{"t":0,"TagId":"01020304","Move":"Insert"}"#.write(toFile: trace, atomically: true, encoding: .utf8)
        for (validity, expected) in [
            (Date(timeIntervalSinceNow: -400 * 86_400)...Date(timeIntervalSinceNow: -86_400), "is not usable (expired on"),
            (Date(timeIntervalSinceNow: -86_400)...Date(timeIntervalSinceNow: 10 * 86_400 + 3600), "expires on"),
        ] {
            // Written to the slots directly: `pki install` itself refuses an expired certificate.
            let request = try CertificateRequest(commonName: "DA1275B0", keyType: .p256)
            let signed = try pki.sign(request: try CertificateSigningRequest(derEncoded: request.requestDER), validity: validity)
            try ProtectedFile.write(request.privateKeyPEM, to: enrolment.keyPath, mode: 0o600)
            try ProtectedFile.write(signed.certificatePEM, to: enrolment.certificatePath, mode: 0o644)
            let replay = try await runTool(binary, ["replay", trace, "--state-dir", state.path, "--log-level", "warning"])
            #expect(replay.status != 0 && replay.output.contains(expected), "\(replay.output)")
        }
    }

    /// Runs `smartreader enroll` against a test service behaving as asked; returns its output,
    /// after checking that the device's key and certificate stayed as they were when it failed.
    private func enrol(
        _ state: DeviceStateDirectory, _ pki: DevelopmentPKI, _ behaviour: TestCertificateAuthority.Behaviour,
        _ arguments: (TestCertificateAuthority) -> [String]
    ) async throws -> (status: Int32, output: String) {
        let enrolment = try DeviceEnrolment(state: state)
        let before = try [enrolment.certificatePath, enrolment.keyPath].map { try ProtectedFile.read($0) }
        let server = try await TestCertificateAuthority(pki: pki, behaviour: behaviour)
        let result = try await runTool(binary, ["enroll", "--state-dir", state.path] + arguments(server))
        await server.stop()
        if result.status != 0 {
            #expect(result.output.contains("the device keeps its current identity"), "\(result.output)")
            #expect(try [enrolment.certificatePath, enrolment.keyPath].map { try ProtectedFile.read($0) } == before, "\(behaviour)")
        }
        return result
    }

    @Test("enroll against a dojot/EJBCA-like service: installed when it signs; refused, with the reason, and nothing changed otherwise")
    func enrolWithEJBCA() async throws {
        let (pki, state) = try provisioned()
        let failures: [(TestCertificateAuthority.Behaviour, String, String)] = [
            (.signs, "wrong", #"refused the request with HTTP 401: {"error":"end entity DA1275B0: wrong password"}"#),
            (.certifiesAnotherKey, TestCertificateAuthority.password, "certifies another key"),
            (.answersGarbage, TestCertificateAuthority.password, "not with the JSON expected"),
            (.staysSilent, TestCertificateAuthority.password, "did not answer within 1.0 seconds"),
        ]
        for (behaviour, password, expected) in failures {
            let refused = try await enrol(state, pki, behaviour) { ["--ejbca", $0.url, "--password", password, "--timeout", "1"] }
            #expect(refused.status != 0 && refused.output.contains(expected), "\(behaviour): \(refused.output)")
        }
        let enrolled = try await enrol(state, pki, .signs) { ["--ejbca", $0.url, "--password", TestCertificateAuthority.password] }
        #expect(enrolled.status == 0 && enrolled.output.contains("enrolled CN=DA1275B0"), "\(enrolled.output)")
        let enrolment = try DeviceEnrolment(state: state)
        let text = try await runTool("openssl", ["x509", "-noout", "-text", "-in", enrolment.certificatePath]).output
        #expect(text.contains("Public-Key: (2048 bit)"), "dojot's profile wants RSA: \(text)")
        try CertificateFile(path: enrolment.certificatePath).verifyKey(at: enrolment.keyPath)
    }

    @Test("enroll against an EST server (RFC 7030): installed when it signs; refused with its reason and nothing changed otherwise")
    func enrolWithEST() async throws {
        let (pki, state) = try provisioned()
        let failures: [(TestCertificateAuthority.Behaviour, String, String)] = [
            (.signs, "wrong", "refused the request with HTTP 401: authentication required"),
            (.certifiesAnotherKey, TestCertificateAuthority.password, "certifies another key"),
            (.answersGarbage, TestCertificateAuthority.password, "answered, but its answer is not"),
        ]
        for (behaviour, password, expected) in failures {
            let refused = try await enrol(state, pki, behaviour) {
                ["--est", $0.estURL, "--user", "device", "--password", password, "--key-type", "p256"]
            }
            #expect(refused.status != 0 && refused.output.contains(expected), "\(behaviour): \(refused.output)")
        }
        let enrolled = try await enrol(state, pki, .signs) {
            ["--est", $0.estURL, "--user", "device", "--password", TestCertificateAuthority.password]
        }
        #expect(enrolled.status == 0 && enrolled.output.contains("enrolled CN=DA1275B0"), "\(enrolled.output)")
        let enrolment = try DeviceEnrolment(state: state)
        try CertificateFile(path: enrolment.certificatePath).verifyKey(at: enrolment.keyPath)
    }
}

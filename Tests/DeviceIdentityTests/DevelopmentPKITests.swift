import Foundation
import HostSystem
import TestSupport
import Testing

@testable import DeviceIdentity

@Test("openssl verifies every role's leaf against the root, with only the chain we ship")
func opensslVerifiesLeaves() async throws {
    let directory = temporaryDirectory()
    let pki = try DevelopmentPKI.create(at: directory)
    for role in CertificateRole.allCases {
        let prefix = (directory as NSString).appendingPathComponent("leaf-\(role.rawValue)")
        try pki.issue(
            role: role, commonName: "name-\(role.rawValue)", subjectAlternativeNames: role == .broker ? ["localhost", "127.0.0.1"] : []
        )
        .write(prefix: prefix)
        let verify = try await runTool(
            "openssl", ["verify", "-CAfile", pki.rootCertificatePath, "-untrusted", prefix + ".crt", prefix + ".crt"])
        #expect(verify.status == 0, "\(role): \(verify.output)")
        let text = try await runTool("openssl", ["x509", "-noout", "-text", "-in", prefix + ".crt"]).output
        #expect(text.contains("CN = name-\(role.rawValue)") || text.contains("CN=name-\(role.rawValue)"))
        #expect(text.contains("ecdsa-with-SHA256"))
        #expect(text.contains(role == .broker ? "TLS Web Server Authentication" : "TLS Web Client Authentication"))
        if role == .broker { #expect(text.contains("DNS:localhost") && text.contains("IP Address:127.0.0.1")) }
        let keyCheck = try await runTool("openssl", ["pkey", "-in", prefix + ".key", "-noout"])
        #expect(keyCheck.status == 0, "\(keyCheck.output)")
        #expect(!ProtectedFile.othersCanRead(prefix + ".key"), "keys are written mode 0600")
    }
    #expect(!ProtectedFile.othersCanRead((directory as NSString).appendingPathComponent("root.key")))
}

@Test("a certificate file gives its CN and matches only its own key")
func certificateFile() throws {
    let directory = temporaryDirectory()
    let pki = try DevelopmentPKI.create(at: directory)
    let a = (directory as NSString).appendingPathComponent("a")
    let b = (directory as NSString).appendingPathComponent("b")
    try pki.issue(role: .device, commonName: "DA1275B0").write(prefix: a)
    try pki.issue(role: .device, commonName: "DA1275B1").write(prefix: b)
    let file = try CertificateFile(path: a + ".crt")
    #expect(file.commonName == "DA1275B0")
    #expect(file.chain.count == 2, "leaf then the Client CA")
    try file.verifyKey(at: a + ".key")
    #expect(throws: IdentityError.self) { try file.verifyKey(at: b + ".key") }
}

@Test("one CN cannot be issued under two roles, and a PKI is never overwritten")
func pkiGuards() throws {
    let directory = temporaryDirectory()
    let pki = try DevelopmentPKI.create(at: directory)
    _ = try pki.issue(role: .watch, commonName: "backend")
    do {
        _ = try pki.issue(role: .device, commonName: "backend")
        Issue.record("a device certificate named like a Watch one would inherit its ACL")
    } catch {
        guard case .commonNameTaken("backend", "watch") = error else { Issue.record("wrong error \(error)"); return }
    }
    #expect(throws: IdentityError.self) { try DevelopmentPKI.create(at: directory) }
    #expect(throws: IdentityError.self) { try pki.issue(role: .device, commonName: "bad name") }
    #expect(throws: IdentityError.self) { try DevelopmentPKI(opening: temporaryDirectory("empty")) }
}

@Test("the mosquitto configuration requires certificates, maps the CN to the user, and scopes the ACL by role")
func mosquittoConfiguration() async throws {
    let directory = temporaryDirectory()
    let pki = try DevelopmentPKI.create(at: directory)
    _ = try pki.issue(role: .watch, commonName: "watch-1")
    _ = try pki.issue(role: .control, commonName: "control-1")
    _ = try pki.issue(role: .device, commonName: "DA1275B0")
    let file = (directory as NSString).appendingPathComponent("mosquitto.conf")
    try MosquittoConfiguration(pki: pki, port: 18883, runAsUser: "root").write(to: file)
    let configuration = try String(contentsOfFile: file, encoding: .utf8)
    for line in [
        "listener 18883 127.0.0.1", "require_certificate true", "use_identity_as_username true", "tls_version tlsv1.2", "user root",
        "allow_anonymous false",
    ] {
        #expect(configuration.contains(line + "\n"), "missing \(line)")
    }
    let acl = try String(contentsOfFile: file + ".acl", encoding: .utf8)
    #expect(acl.contains("pattern readwrite springcard/springcore/%u/#\n"))
    #expect(acl.contains("user watch-1\ntopic read #\n"))
    #expect(acl.contains("user control-1\ntopic readwrite #\n"))
    #expect(!acl.contains("DA1275B0"), "devices get the pattern only")
    let broker = try await runTool(
        "openssl",
        [
            "verify", "-CAfile", pki.rootCertificatePath, "-untrusted", directory + "/broker.crt", directory + "/broker.crt",
        ])
    #expect(broker.status == 0, "\(broker.output)")
}

import Foundation
import HostSystem
import TestSupport
import Testing
import X509

@testable import DeviceIdentity

@Test(
    "a request for each key type is accepted by openssl req -verify, with the device ID as CN and SHA-256",
    arguments: DeviceKeyType.allCases)
func requestVerifiesWithOpenSSL(keyType: DeviceKeyType) async throws {
    let directory = temporaryDirectory("csr")
    // An RSA 3072 key takes seconds of CPU to find its primes.
    let request = try await onOwnThread { try CertificateRequest(commonName: "DA1275B0", keyType: keyType) }
    let path = directory + "/device.csr"
    try ProtectedFile.write(request.requestPEM, to: path, mode: 0o644)
    let verify = try await runTool("openssl", ["req", "-verify", "-noout", "-in", path])
    #expect(verify.status == 0 && verify.output.contains("verify OK"), "\(verify.output)")
    let text = try await runTool("openssl", ["req", "-noout", "-text", "-in", path]).output
    #expect(text.contains("CN = DA1275B0") || text.contains("CN=DA1275B0"), "\(text)")
    #expect(text.contains(keyType == .p256 ? "ecdsa-with-SHA256" : "sha256WithRSAEncryption"), "\(text)")
    if keyType != .p256 { #expect(text.contains(keyType == .rsa2048 ? "(2048 bit)" : "(3072 bit)")) }
    let key = directory + "/device.key"
    try ProtectedFile.write(request.privateKeyPEM, to: key, mode: 0o600)
    let modulus = try await runTool("openssl", ["pkey", "-in", key, "-pubout"]).output
    let requested = try await runTool("openssl", ["req", "-in", path, "-noout", "-pubkey"]).output
    #expect(modulus == requested, "the request carries the new key's public half")
}

@Test("a certificate from a CA is refused when it is garbage, for another key, for another CN, expired, or from another CA")
func issuedCertificateChecks() throws {
    let pki = try DevelopmentPKI.create(at: temporaryDirectory("ca"))
    let other = try DevelopmentPKI.create(at: temporaryDirectory("other-ca"))
    let request = try CertificateRequest(commonName: "DA1275B0", keyType: .p256)
    let csr = try CertificateSigningRequest(derEncoded: request.requestDER)
    let good = try pki.sign(request: csr)
    let check = { (pem: String, commonName: String, authority: String?) throws(IdentityError) -> IssuedCertificate in
        try IssuedCertificate(
            pem: pem, source: "the CA", privateKeyPEM: request.privateKeyPEM, commonName: commonName, authorityPEM: authority)
    }
    #expect(try check(good.certificatePEM, "DA1275B0", good.issuerPEM).chain.count == 1)

    func refusal(_ body: () throws(IdentityError) -> IssuedCertificate) -> String {
        do {
            _ = try body()
            return "accepted"
        } catch {
            return error.description
        }
    }
    #expect(
        refusal { () throws(IdentityError) in try check("<html>502 Bad Gateway</html>", "DA1275B0", nil) }.contains("holds no CERTIFICATE"))
    let otherKey = try pki.issue(role: .device, commonName: "DA1275B0")
    #expect(refusal { () throws(IdentityError) in try check(otherKey.certificatePEM, "DA1275B0", nil) }.contains("another key"))
    #expect(refusal { () throws(IdentityError) in try check(good.certificatePEM, "DA1275B1", nil) }.contains("not the device ID"))
    let expired = try pki.sign(request: csr, validity: Date(timeIntervalSinceNow: -400 * 86_400)...Date(timeIntervalSinceNow: -86_400))
    #expect(refusal { () throws(IdentityError) in try check(expired.certificatePEM, "DA1275B0", nil) }.contains("expired on"))
    let foreign = try other.sign(request: csr)
    #expect(
        refusal { () throws(IdentityError) in try check(foreign.certificatePEM, "DA1275B0", good.issuerPEM) }.contains(
            "not signed by the CA"))
    #expect(refusal { () throws(IdentityError) in try check(good.certificatePEM, "DA1275B0", good.issuerPEM) } == "accepted")
}

@Test("validity: expired, not yet valid, within 30 days of the end, or fine")
func validity() throws {
    let pki = try DevelopmentPKI.create(at: temporaryDirectory("ca"))
    let now = Date()
    func leaf(_ from: TimeInterval, _ to: TimeInterval) throws -> Certificate {
        let issued = try pki.issue(
            role: .device, commonName: "DA1275B0", validity: now.addingTimeInterval(from)...now.addingTimeInterval(to))
        return try Certificate(pemEncoded: issued.certificatePEM)
    }
    #expect(!CertificateValidity(try leaf(-400 * 86_400, -86_400), at: now).isUsable)
    #expect(!CertificateValidity(try leaf(86_400, 400 * 86_400), at: now).isUsable)
    guard case .expiresSoon(_, let days) = CertificateValidity(try leaf(-86_400, 10 * 86_400 + 3600), at: now) else {
        Issue.record("10 days before the end is a warning")
        return
    }
    #expect(days == 10)
    guard case .valid = CertificateValidity(try leaf(-86_400, 90 * 86_400), at: now) else {
        Issue.record("90 days before the end is fine")
        return
    }
}

@Test("certs-only PKCS#7: ours is read by openssl, and openssl's is read by ours")
func pkcs7CrossCheck() async throws {
    let directory = temporaryDirectory("p7")
    let pki = try DevelopmentPKI.create(at: directory + "/pki")
    let issued = try pki.issue(role: .device, commonName: "DA1275B0")
    let chain = try [issued.certificatePEM, issued.issuerPEM].map { try Certificate(pemEncoded: $0) }
    try Data(try PKCS7Certificates.der(chain)).write(to: URL(fileURLWithPath: directory + "/ours.p7b"))
    let printed = try await runTool("openssl", ["pkcs7", "-inform", "DER", "-in", directory + "/ours.p7b", "-print_certs", "-noout"])
    #expect(
        printed.status == 0 && printed.output.contains("DA1275B0") && printed.output.contains("SmartReader Client CA"), "\(printed.output)")

    try ProtectedFile.write(issued.certificatePEM + issued.issuerPEM, to: directory + "/chain.pem", mode: 0o644)
    let made = try await runTool(
        "openssl", ["crl2pkcs7", "-nocrl", "-certfile", directory + "/chain.pem", "-outform", "DER", "-out", directory + "/theirs.p7b"])
    #expect(made.status == 0, "\(made.output)")
    let theirs = try PKCS7Certificates.certificates(der: Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/theirs.p7b"))))
    #expect(theirs == chain)
}

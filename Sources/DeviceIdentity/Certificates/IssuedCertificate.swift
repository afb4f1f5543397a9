import Foundation
import SwiftASN1
import X509

/// A certificate a CA sent back for a request, checked before it may replace the device's
/// own: it must be a certificate, for the request's key, for the device's CN, currently valid,
/// and signed by the CA when one is known. Anything else is refused and names the source.
public struct IssuedCertificate: Sendable {
    /// The leaf first, then any intermediates the CA sent.
    public let chain: [Certificate]

    public init(pem: String, source: String, privateKeyPEM: String, commonName: String, authorityPEM: String?) throws(IdentityError) {
        let chain: [Certificate]
        do {
            chain = try Certificate.all(inPEM: pem)
        } catch {
            throw .issuedCertificateRefused(source: source, reason: "it is not a PEM certificate (\(error))")
        }
        guard let leaf = chain.first else { throw .issuedCertificateRefused(source: source, reason: "it holds no CERTIFICATE block") }
        guard let key = try? Certificate.PrivateKey(pemEncoded: privateKeyPEM), key.publicKey == leaf.publicKey else {
            throw .issuedCertificateRefused(source: source, reason: "it certifies another key than the one the request was made with")
        }
        guard leaf.subject.commonName == commonName else {
            throw .issuedCertificateRefused(
                source: source, reason: "its CN is \"\(leaf.subject.commonName ?? "")\", not the device ID \"\(commonName)\"")
        }
        let validity = CertificateValidity(leaf)
        guard validity.isUsable else { throw .issuedCertificateRefused(source: source, reason: "it is \(validity)") }
        if let authorityPEM {
            let authorities: [Certificate]
            do {
                authorities = try Certificate.all(inPEM: authorityPEM)
            } catch {
                throw .issuedCertificateRefused(source: source, reason: "the CA certificate is not PEM (\(error))")
            }
            let issuers = authorities + chain.dropFirst()
            guard issuers.contains(where: { $0.isIssuer(of: leaf) }) else {
                throw .issuedCertificateRefused(source: source, reason: "it is not signed by the CA (issuer \(leaf.issuer))")
            }
        }
        self.chain = chain
    }

    public var pem: String {
        get throws(IdentityError) { try DevelopmentPKI.pem(chain) }
    }
}

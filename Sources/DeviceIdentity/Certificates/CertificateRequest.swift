import Crypto
import Foundation
import SwiftASN1
import X509
import _CryptoExtras

/// The kinds of key a device can enrol with: P-256 (what the development PKI issues, small and
/// fast) or RSA for CAs that still ask for it.
public enum DeviceKeyType: String, Sendable, CaseIterable {
    case p256
    case rsa2048
    case rsa3072

    func generate() throws -> Certificate.PrivateKey {
        switch self {
        case .p256: Certificate.PrivateKey(P256.Signing.PrivateKey())
        case .rsa2048: Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        case .rsa3072: Certificate.PrivateKey(try _RSA.Signing.PrivateKey(keySize: .bits3072))
        }
    }

    var signatureAlgorithm: Certificate.SignatureAlgorithm { self == .p256 ? .ecdsaWithSHA256 : .sha256WithRSAEncryption }
}

/// A new key and the PKCS#10 request a CA signs for it: subject CN = the device ID, signed
/// with SHA-256 by the key itself.
public struct CertificateRequest: Sendable {
    public let privateKeyPEM: String
    public let requestPEM: String
    /// The request in DER, as EJBCA and EST want it (base64).
    public let requestDER: [UInt8]

    public init(commonName: String, keyType: DeviceKeyType) throws(IdentityError) {
        do {
            let key = try keyType.generate()
            let subject = try DistinguishedName { CommonName(commonName) }
            let request = try CertificateSigningRequest(
                version: .v1, subject: subject, privateKey: key, attributes: CertificateSigningRequest.Attributes(),
                signatureAlgorithm: keyType.signatureAlgorithm)
            var serializer = DER.Serializer()
            try serializer.serialize(request)
            requestDER = serializer.serializedBytes
            requestPEM = PEMDocument(type: "CERTIFICATE REQUEST", derBytes: requestDER).pemString + "\n"
            privateKeyPEM = try key.serializeAsPEM().pemString + "\n"
        } catch {
            throw .signingFailed("cannot make a \(keyType.rawValue) key and request for \(commonName): \(error)")
        }
    }
}

extension Certificate.PublicKey {
    var isRSA: Bool { _RSA.Signing.PublicKey(self) != nil }
}

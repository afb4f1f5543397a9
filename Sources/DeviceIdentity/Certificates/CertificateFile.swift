import Crypto
import Foundation
import SwiftASN1
import X509

/// A PEM file holding a certificate, optionally followed by the intermediates that chain it.
public struct CertificateFile: Sendable {
    public let path: String
    public let chain: [Certificate]

    public var leaf: Certificate { chain[0] }

    public init(path: String) throws(IdentityError) {
        do {
            chain = try Certificate.all(inPEM: try IdentityFile.read(path))
        } catch let error as IdentityError {
            throw error
        } catch {
            throw .unreadableCertificate(path: path, reason: "\(error)")
        }
        guard !chain.isEmpty else { throw .unreadableCertificate(path: path, reason: "no CERTIFICATE block") }
        self.path = path
    }

    public var commonName: String? { leaf.subject.commonName }

    public func requireCommonName() throws(IdentityError) -> String {
        guard let name = commonName, !name.isEmpty else { throw .noCommonName(path: path) }
        return name
    }

    /// Checks that `keyPath` holds the private key of the leaf certificate.
    public func verifyKey(at keyPath: String) throws(IdentityError) {
        let key = try PrivateKeyFile.load(keyPath)
        guard key.publicKey == leaf.publicKey else {
            throw .keyDoesNotMatchCertificate(key: keyPath, certificate: path)
        }
    }
}

extension Certificate {
    /// Every CERTIFICATE block of a PEM text, in order; other blocks (keys) are skipped.
    public static func all(inPEM text: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: text).filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
    }

    /// Whether this certificate issued `certificate`: its subject is the issuer named there, and
    /// its key verifies the signature.
    func isIssuer(of certificate: Certificate) -> Bool {
        subject == certificate.issuer && publicKey.isValidSignature(certificate.signature, for: certificate)
    }
}

extension DistinguishedName {
    var commonName: String? {
        for rdn in self {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(describing: attribute.value)
            }
        }
        return nil
    }
}

public enum PrivateKeyFile {
    public static func load(_ path: String) throws(IdentityError) -> Certificate.PrivateKey {
        let text = try IdentityFile.read(path)
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw .unreadableKey(path: path, reason: "\(error)")
        }
    }
}

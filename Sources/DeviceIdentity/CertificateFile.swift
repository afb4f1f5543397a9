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
        let text = try ProtectedFile.read(path)
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text)
            chain = try documents.filter { $0.discriminator == "CERTIFICATE" }.map { try Certificate(pemDocument: $0) }
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
        let text = try ProtectedFile.read(path)
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw .unreadableKey(path: path, reason: "\(error)")
        }
    }
}

import Crypto
import Foundation
import SwiftASN1
import X509

/// Who a leaf certificate is for, and so which intermediate issues it (the reference's roles).
public enum CertificateRole: String, Sendable, CaseIterable, Codable {
    case device, watch, control, broker

    /// The intermediate CA issuing this role: Client for devices, Cloud for brokers.
    public var authority: String {
        switch self {
        case .device: "client"
        case .watch: "watch"
        case .control: "control"
        case .broker: "cloud"
        }
    }
}

/// A freshly issued leaf: its key, its certificate and the intermediate that signed it.
public struct IssuedIdentity: Sendable {
    public var name: DevelopmentPKI.IssuedName
    public var privateKeyPEM: String
    public var certificatePEM: String
    public var issuerPEM: String

    /// Writes `PREFIX.key` (0600) and `PREFIX.crt`: the leaf, then its intermediate, as TLS
    /// peers must send them.
    public func write(prefix: String) throws(IdentityError) {
        try ProtectedFile.write(privateKeyPEM, to: prefix + ".key", mode: 0o600)
        try ProtectedFile.write(certificatePEM + issuerPEM, to: prefix + ".crt", mode: 0o644)
    }
}

/// A development PKI in a directory: `root.crt`/`root.key`, one intermediate per role
/// (`cloud-ca`, `client-ca`, `watch-ca`, `control-ca`), and `issued.json`, the register of leaf
/// names by role that the broker ACL is generated from. EC P-256 and SHA-256 throughout.
public struct DevelopmentPKI: Sendable {
    public let directory: String

    public struct IssuedName: Codable, Sendable, Equatable {
        public var role: CertificateRole
        public var commonName: String
    }

    public var rootCertificatePath: String { path("root.crt") }

    public init(opening directory: String) throws(IdentityError) {
        self.directory = directory
        guard FileManager.default.fileExists(atPath: rootCertificatePath) else { throw .notAPKI(directory: directory) }
    }

    public static func create(at directory: String, organization: String = "SmartReader development PKI") throws(IdentityError)
        -> DevelopmentPKI
    {
        try ProtectedFile.makeDirectory(directory)
        let pki = DevelopmentPKI(unchecked: directory)
        guard !FileManager.default.fileExists(atPath: pki.rootCertificatePath) else { throw .pkiExists(directory: directory) }
        let rootKey = P256.Signing.PrivateKey()
        let rootName = try name(commonName: "SmartReader Root CA", organization: organization)
        let root = try sign(
            subject: rootName, publicKey: rootKey.publicKey, issuer: rootName, issuerKey: rootKey, days: 3650,
            extensions: authorityExtensions(publicKey: rootKey.publicKey, issuerKey: rootKey.publicKey, pathLength: 1))
        try pki.store(certificates: [root], key: rootKey, as: "root")
        for role in CertificateRole.allCases {
            let key = P256.Signing.PrivateKey()
            let subject = try name(commonName: "SmartReader \(role.authority.capitalized) CA", organization: organization)
            let certificate = try sign(
                subject: subject, publicKey: key.publicKey, issuer: rootName, issuerKey: rootKey, days: 1825,
                extensions: authorityExtensions(publicKey: key.publicKey, issuerKey: rootKey.publicKey, pathLength: 0))
            try pki.store(certificates: [certificate], key: key, as: "\(role.authority)-ca")
        }
        try pki.saveIssued([])
        return pki
    }

    private init(unchecked directory: String) { self.directory = directory }

    /// Issues a leaf certificate and its key, and records the name in the register.
    public func issue(role: CertificateRole, commonName: String, subjectAlternativeNames: [String] = []) throws(IdentityError)
        -> IssuedIdentity
    {
        guard !commonName.isEmpty, commonName.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:".contains($0) }) else {
            throw .invalidName(commonName)
        }
        var issued = try loadIssued()
        if let existing = issued.first(where: { $0.commonName == commonName }), existing.role != role {
            throw .commonNameTaken(commonName, role: existing.role.rawValue)
        }
        let authority = role.authority + "-ca"
        let issuerCertificate = try CertificateFile(path: path("\(authority).crt")).leaf
        guard case let issuerKey? = try? P256.Signing.PrivateKey(pemRepresentation: ProtectedFile.read(path("\(authority).key"))) else {
            throw .unreadableKey(path: path("\(authority).key"), reason: "not an EC P-256 key")
        }
        let key = P256.Signing.PrivateKey()
        var names = subjectAlternativeNames
        if role == .broker && names.isEmpty { names = [commonName] }
        let extensions: Certificate.Extensions
        do {
            extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyAgreement: true))
                try ExtendedKeyUsage([role == .broker ? .serverAuth : .clientAuth])
                SubjectKeyIdentifier(hash: Certificate.PublicKey(key.publicKey))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(issuerKey.publicKey)).keyIdentifier)
                if !names.isEmpty { SubjectAlternativeNames(names.map(Self.generalName)) }
            }
        } catch {
            throw .signingFailed("\(error)")
        }
        let leaf = try Self.sign(
            subject: try Self.name(commonName: commonName, organization: nil), publicKey: key.publicKey,
            issuer: issuerCertificate.subject, issuerKey: issuerKey, days: 398, extensions: extensions)
        let entry = IssuedName(role: role, commonName: commonName)
        if !issued.contains(entry) {
            issued.append(entry)
            try saveIssued(issued)
        }
        return IssuedIdentity(
            name: entry, privateKeyPEM: key.pemRepresentation, certificatePEM: try Self.pem([leaf]),
            issuerPEM: try Self.pem([issuerCertificate]))
    }

    public func issuedNames() throws(IdentityError) -> [IssuedName] { try loadIssued() }

    public func authorityCertificatePath(for role: CertificateRole) -> String { path("\(role.authority)-ca.crt") }

    // MARK: Helpers

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    private func store(certificates: [Certificate], key: P256.Signing.PrivateKey, as name: String) throws(IdentityError) {
        try ProtectedFile.write(key.pemRepresentation, to: path("\(name).key"), mode: 0o600)
        try ProtectedFile.write(try Self.pem(certificates), to: path("\(name).crt"), mode: 0o644)
    }

    private func loadIssued() throws(IdentityError) -> [IssuedName] {
        guard let data = FileManager.default.contents(atPath: path("issued.json")) else { return [] }
        do { return try JSONDecoder().decode([IssuedName].self, from: data) } catch {
            throw .unreadableCertificate(path: path("issued.json"), reason: "\(error)")
        }
    }

    private func saveIssued(_ names: [IssuedName]) throws(IdentityError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = (try? encoder.encode(names)) ?? Data("[]".utf8)
        try ProtectedFile.write(Array(data), to: path("issued.json"), mode: 0o644)
    }

    static func pem(_ certificates: [Certificate]) throws(IdentityError) -> String {
        do {
            return try certificates.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n"
        } catch {
            throw .signingFailed("\(error)")
        }
    }

    private static func name(commonName: String, organization: String?) throws(IdentityError) -> DistinguishedName {
        do {
            return try DistinguishedName {
                if let organization { OrganizationName(organization) }
                CommonName(commonName)
            }
        } catch {
            throw .invalidName(commonName)
        }
    }

    private static func authorityExtensions(publicKey: P256.Signing.PublicKey, issuerKey: P256.Signing.PublicKey, pathLength: Int)
        throws(IdentityError) -> Certificate.Extensions
    {
        do {
            return try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: Certificate.PublicKey(publicKey))
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(issuerKey)).keyIdentifier)
            }
        } catch {
            throw .signingFailed("\(error)")
        }
    }

    private static func sign(
        subject: DistinguishedName, publicKey: P256.Signing.PublicKey, issuer: DistinguishedName,
        issuerKey: P256.Signing.PrivateKey, days: Int, extensions: Certificate.Extensions
    ) throws(IdentityError) -> Certificate {
        let now = Date()
        do {
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(publicKey),
                notValidBefore: now.addingTimeInterval(-300), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
                issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(issuerKey))
        } catch {
            throw .signingFailed("\(error)")
        }
    }

    static func generalName(_ name: String) -> GeneralName {
        guard let bytes = ipAddressBytes(name) else { return .dnsName(name) }
        return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes)))
    }
}

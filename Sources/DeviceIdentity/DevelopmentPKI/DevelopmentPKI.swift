import Crypto
import Foundation
import HostSystem
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
        try IdentityFile.write(privateKeyPEM, to: prefix + ".key", mode: 0o600)
        try IdentityFile.write(certificatePEM + issuerPEM, to: prefix + ".crt", mode: 0o644)
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
        try IdentityFile.makeDirectory(directory)
        let pki = DevelopmentPKI(unchecked: directory)
        guard !FileManager.default.fileExists(atPath: pki.rootCertificatePath) else { throw .pkiExists(directory: directory) }
        let rootKey = P256.Signing.PrivateKey()
        let now = Date()
        let rootName = try name(commonName: "SmartReader Root CA", organization: organization)
        let root = try sign(
            subject: rootName, publicKey: Certificate.PublicKey(rootKey.publicKey), issuer: rootName, issuerKey: rootKey,
            validity: now.addingTimeInterval(-300)...now.addingTimeInterval(3650 * 86_400),
            extensions: authorityExtensions(publicKey: rootKey.publicKey, issuerKey: rootKey.publicKey, pathLength: 1))
        try pki.store(certificates: [root], key: rootKey, as: "root")
        for role in CertificateRole.allCases {
            let key = P256.Signing.PrivateKey()
            let subject = try name(commonName: "SmartReader \(role.authority.capitalized) CA", organization: organization)
            let certificate = try sign(
                subject: subject, publicKey: Certificate.PublicKey(key.publicKey), issuer: rootName, issuerKey: rootKey,
                validity: now.addingTimeInterval(-300)...now.addingTimeInterval(1825 * 86_400),
                extensions: authorityExtensions(publicKey: key.publicKey, issuerKey: rootKey.publicKey, pathLength: 0))
            try pki.store(certificates: [certificate], key: key, as: "\(role.authority)-ca")
        }
        try pki.saveIssued([])
        return pki
    }

    private init(unchecked directory: String) { self.directory = directory }

    /// Issues a leaf certificate and its key, and records the name in the register unless
    /// `registering` is false (a fleet's devices: the PKI may be read-only, and issuing runs on
    /// several threads). `validity` replaces the usual 398 days from now (tests: expired or expiring certificates).
    public func issue(
        role: CertificateRole, commonName: String, subjectAlternativeNames: [String] = [], validity: ClosedRange<Date>? = nil,
        registering: Bool = true
    ) throws(IdentityError) -> IssuedIdentity {
        let key = P256.Signing.PrivateKey()
        let (leaf, issuer) = try issueLeaf(
            role: role, commonName: commonName, publicKey: Certificate.PublicKey(key.publicKey),
            subjectAlternativeNames: subjectAlternativeNames,
            validity: validity, registering: registering)
        return IssuedIdentity(
            name: IssuedName(role: role, commonName: commonName), privateKeyPEM: key.pemRepresentation,
            certificatePEM: try Self.pem([leaf]),
            issuerPEM: try Self.pem([issuer]))
    }

    /// Signs a PKCS#10 request as the CA of `role` would: the request's own signature is checked
    /// first, and its CN is registered like an issued one. Returns the certificate and its issuer.
    public func sign(request: CertificateSigningRequest, role: CertificateRole = .device, validity: ClosedRange<Date>? = nil)
        throws(IdentityError) -> (
            certificatePEM: String, issuerPEM: String
        )
    {
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw .signingFailed("the request's signature does not verify: it was not signed by the key it carries")
        }
        guard let commonName = request.subject.commonName else { throw .signingFailed("the request has no subject CN") }
        let (leaf, issuer) = try issueLeaf(
            role: role, commonName: commonName, publicKey: request.publicKey, subjectAlternativeNames: [], validity: validity)
        return (try Self.pem([leaf]), try Self.pem([issuer]))
    }

    private func issueLeaf(
        role: CertificateRole, commonName: String, publicKey: Certificate.PublicKey, subjectAlternativeNames: [String],
        validity: ClosedRange<Date>?, registering: Bool = true
    ) throws(IdentityError) -> (leaf: Certificate, issuer: Certificate) {
        guard !commonName.isEmpty, commonName.allSatisfy({ $0.isLetter || $0.isNumber || ".-_:".contains($0) }) else {
            throw .invalidName(commonName)
        }
        var issued = registering ? try loadIssued() : []
        if let existing = issued.first(where: { $0.commonName == commonName }), existing.role != role {
            throw .commonNameTaken(commonName, role: existing.role.rawValue)
        }
        let authority = role.authority + "-ca"
        let issuerCertificate = try CertificateFile(path: path("\(authority).crt")).leaf
        guard case let issuerKey? = try? P256.Signing.PrivateKey(pemRepresentation: ProtectedFile.read(path("\(authority).key"))) else {
            throw .unreadableKey(path: path("\(authority).key"), reason: "not an EC P-256 key")
        }
        var names = subjectAlternativeNames
        if role == .broker && names.isEmpty { names = [commonName] }
        let extensions: Certificate.Extensions
        do {
            extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: publicKey.isRSA, keyAgreement: !publicKey.isRSA))
                try ExtendedKeyUsage([role == .broker ? .serverAuth : .clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: Certificate.PublicKey(issuerKey.publicKey)).keyIdentifier)
                if !names.isEmpty { SubjectAlternativeNames(names.map(Self.generalName)) }
            }
        } catch {
            throw .signingFailed("\(error)")
        }
        let now = Date()
        let leaf = try Self.sign(
            subject: try Self.name(commonName: commonName, organization: nil), publicKey: publicKey, issuer: issuerCertificate.subject,
            issuerKey: issuerKey, validity: validity ?? now.addingTimeInterval(-300)...now.addingTimeInterval(398 * 86_400),
            extensions: extensions)
        let entry = IssuedName(role: role, commonName: commonName)
        if registering && !issued.contains(entry) {
            issued.append(entry)
            try saveIssued(issued)
        }
        return (leaf, issuerCertificate)
    }

    public func issuedNames() throws(IdentityError) -> [IssuedName] { try loadIssued() }

    public func authorityCertificatePath(for role: CertificateRole) -> String { path("\(role.authority)-ca.crt") }

    // MARK: Helpers

    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    private func store(certificates: [Certificate], key: P256.Signing.PrivateKey, as name: String) throws(IdentityError) {
        try IdentityFile.write(key.pemRepresentation, to: path("\(name).key"), mode: 0o600)
        try IdentityFile.write(try Self.pem(certificates), to: path("\(name).crt"), mode: 0o644)
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
        try IdentityFile.write(Array(data), to: path("issued.json"), mode: 0o644)
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
        subject: DistinguishedName, publicKey: Certificate.PublicKey, issuer: DistinguishedName,
        issuerKey: P256.Signing.PrivateKey, validity: ClosedRange<Date>, extensions: Certificate.Extensions
    ) throws(IdentityError) -> Certificate {
        do {
            return try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: validity.lowerBound, notValidAfter: validity.upperBound,
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

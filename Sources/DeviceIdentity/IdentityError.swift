import HostSystem

/// Problems with keys, certificates and the files holding them; each says what to do.
public enum IdentityError: Error, Sendable, CustomStringConvertible {
    case file(FileError)
    case unreadableCertificate(path: String, reason: String)
    case unreadableKey(path: String, reason: String)
    case noCommonName(path: String)
    case keyDoesNotMatchCertificate(key: String, certificate: String)
    case notAPKI(directory: String)
    case pkiExists(directory: String)
    case commonNameTaken(String, role: String)
    case invalidName(String)
    case signingFailed(String)
    case issuedCertificateRefused(source: String, reason: String)

    public var description: String {
        switch self {
        case .file(let error):
            error.description
        case .unreadableCertificate(let path, let reason):
            "\(path) does not hold a PEM certificate: \(reason)"
        case .unreadableKey(let path, let reason):
            "\(path) does not hold a PEM private key (EC P-256 or RSA): \(reason)"
        case .noCommonName(let path):
            "the certificate in \(path) has no subject CN; the client ID must equal it, so issue one with a CN"
        case .keyDoesNotMatchCertificate(let key, let certificate):
            "the private key \(key) does not belong to the certificate \(certificate); re-issue or restore the matching pair"
        case .notAPKI(let directory):
            "\(directory) is not a development PKI (no root.crt); create one with `smartreader pki init \(directory)`"
        case .pkiExists(let directory):
            "\(directory) already holds a PKI (root.crt); choose an empty directory, the existing root would be lost"
        case .commonNameTaken(let name, let role):
            "CN \"\(name)\" was already issued as a \(role) certificate; the broker's ACL keys on the CN, so one name must not serve two roles"
        case .invalidName(let name):
            "\"\(name)\" is not usable as a certificate name (use letters, digits, '.', '-', '_' and ':')"
        case .signingFailed(let reason):
            "signing failed: \(reason)"
        case .issuedCertificateRefused(let source, let reason):
            "the certificate from \(source) is refused: \(reason); the device keeps its current identity"
        }
    }
}

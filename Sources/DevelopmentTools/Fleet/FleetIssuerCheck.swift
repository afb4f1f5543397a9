import DeviceIdentity
import Gateway
import X509

/// Whether a device already in the fleet directory holds a certificate that the PKI's Client CA
/// issued. `pki init` run again (a new PKI in the same directory, or given with the old fleet
/// directory) makes a new Client CA under the same name; the devices the old one issued would each
/// fail the broker's TLS handshake, with nothing saying why. The signature is what tells them apart.
struct FleetIssuerCheck: Sendable {
    let authorityPath: String
    private let authority: Certificate

    init(pki: DevelopmentPKI) throws(IdentityError) {
        authorityPath = pki.authorityCertificatePath(for: .device)
        authority = try CertificateFile(path: authorityPath).leaf
    }

    /// True too when the certificate cannot be read: the device says what is wrong with it when it starts.
    func issued(_ state: DeviceStateDirectory) -> Bool {
        guard let leaf = try? CertificateFile(path: state.identityFiles(.provisioned).certificate).leaf else { return true }
        return leaf.issuer == authority.subject && authority.publicKey.isValidSignature(leaf.signature, for: leaf)
    }
}

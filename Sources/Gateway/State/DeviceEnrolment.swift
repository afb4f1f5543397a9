import DeviceIdentity
import Foundation
import SpringCore

#if canImport(Glibc)
    import Glibc
#endif

/// A device's identity renewed in two steps. First a new key, kept aside beside the key slot
/// (`key-XX.pem.pending`, mode 0600), and its PKCS#10 request (`device.csr`); then the
/// certificate a CA made from it, checked (`IssuedCertificate`) and installed with the key.
/// Until the second step succeeds the device keeps its old identity; a refused certificate
/// changes nothing.
public struct DeviceEnrolment: Sendable {
    public let state: DeviceStateDirectory
    /// The client ID the certificate's CN must equal: register 028D, else 028F, else the serial number.
    public let deviceID: String
    public let certificatePath: String
    public let keyPath: String
    /// Where `install` looks for the CA when none is given: the client CA slot (register 0288).
    public let authorityPath: String

    public init(state: DeviceStateDirectory) throws(GatewayError) {
        let factory = try state.loadFactory()
        let data = try state.loadConfiguration()
        let device: DeviceConfiguration
        do {
            device = try DeviceConfiguration(data)
        } catch {
            throw .configuration(file: state.configurationPath, error)
        }
        self.state = state
        let naming = device.naming
        deviceID = [naming.clientID, naming.deviceID, factory.serialNumber].first { !$0.isEmpty } ?? factory.serialNumber
        let files = state.identityFiles(device.tls)
        certificatePath = files.certificate
        keyPath = files.key
        authorityPath = files.clientAuthority
    }

    public var pendingKeyPath: String { keyPath + ".pending" }
    public var requestPath: String { state.file("device.csr") }

    /// A new key (aside, not yet in use) and the request for it, both written to the state directory.
    public func makeRequest(keyType: DeviceKeyType) throws(IdentityError) -> CertificateRequest {
        let request = try CertificateRequest(commonName: deviceID, keyType: keyType)
        try IdentityFile.write(request.privateKeyPEM, to: pendingKeyPath, mode: 0o600)
        try IdentityFile.write(request.requestPEM, to: requestPath, mode: 0o644)
        return request
    }

    /// Checks `certificatePEM` against the pending key, the device ID and the CA (`authorityPEM`,
    /// else the client CA slot if it is filled), then puts certificate and key in their slots.
    @discardableResult
    public func install(certificatePEM: String, authorityPEM: String? = nil, source: String) throws(IdentityError) -> IssuedCertificate {
        guard FileManager.default.fileExists(atPath: pendingKeyPath) else {
            throw .file(.missing(path: "\(pendingKeyPath) (the key of a request; make one with `smartreader pki csr`)"))
        }
        var authority = authorityPEM
        if authority == nil && FileManager.default.fileExists(atPath: authorityPath) { authority = try IdentityFile.read(authorityPath) }
        let issued = try IssuedCertificate(
            pem: certificatePEM, source: source, privateKeyPEM: try IdentityFile.read(pendingKeyPath), commonName: deviceID,
            authorityPEM: authority)
        let staged = certificatePath + ".new"
        try IdentityFile.write(try issued.pem, to: staged, mode: 0o644)
        // Two renames, each atomic: the window in which key and certificate disagree is the
        // time between them, and a device started in it refuses the pair rather than misuse it.
        for (from, to) in [(pendingKeyPath, keyPath), (staged, certificatePath)] where rename(from, to) != 0 {
            throw .file(.cannotWrite(path: to, reason: String(cString: strerror(errno))))
        }
        if let authorityPEM, !FileManager.default.fileExists(atPath: authorityPath) {
            try IdentityFile.write(authorityPEM, to: authorityPath, mode: 0o644)
        }
        return issued
    }

    /// The whole flow against a certificate service (dojot/EJBCA, EST): a new key and request,
    /// the certificate and the CA's fetched, checked, installed. Any failure leaves the current
    /// identity in place.
    @discardableResult
    public func enrol(with service: some CertificateService, keyType: DeviceKeyType) async throws -> IssuedCertificate {
        let request = try makeRequest(keyType: keyType)
        let answer = try await service.enrol(commonName: deviceID, request: request)
        return try install(certificatePEM: answer.certificatePEM, authorityPEM: answer.authorityPEM, source: service.location)
    }
}

import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import SpringCore

#if canImport(Glibc)
    import Glibc
#endif

/// Pre-enrolled identities in a directory that may be read-only, as a Kubernetes Secret is
/// mounted: for each device `SERIAL.crt` (its certificate, CN = SERIAL, followed by the CA that
/// issued it, as `pki issue` writes it) and `SERIAL.key`, and `root.crt`, the CA of the broker's
/// certificate. Nothing is written there: each device's state (configuration, boot count) is made
/// in the fleet directory, with its own copy of the key that only its user can read. Links are
/// followed (a Secret's files are links into `..data`); what they lead to must be a regular file
/// that only root or this user can change, and a key that no user outside this process's groups
/// can read (a Secret mounted with `defaultMode: 0440` and the pod's `fsGroup`, not 0644).
public struct FleetEnrolledIdentities: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    func certificatePath(_ serial: String) -> String { path(serial + ".crt") }
    func keyPath(_ serial: String) -> String { path(serial + ".key") }
    var brokerAuthorityPath: String { path("root.crt") }
    private func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Every file these devices need is there and safe to take, checked before any is made so that
    /// a refusal names the first device.
    func checkFiles(serials: [String]) throws(FleetError) {
        let missing = serials.filter {
            !FileManager.default.fileExists(atPath: certificatePath($0)) || !FileManager.default.fileExists(atPath: keyPath($0))
        }
        if let first = missing.first {
            throw .unusableIdentity(
                path: certificatePath(first),
                reason: "or its .key is missing"
                    + (missing.count > 1 ? ", and so are \(missing.count - 1) more of this shard's devices'" : "")
                    + ": each device needs SERIAL.crt (its certificate, then its CA) and SERIAL.key in \(directory)")
        }
        try FleetSourceFile.check(brokerAuthorityPath, isKey: false)
        for serial in serials {
            try FleetSourceFile.check(certificatePath(serial), isKey: false)
            try FleetSourceFile.check(keyPath(serial), isKey: true)
        }
    }

    /// Whether `state` holds this device made from these very files (not re-enrolled since).
    func isInstalled(serial: String, in state: DeviceStateDirectory) -> Bool {
        let files = state.identityFiles(.provisioned)
        let pairs = [
            (certificatePath(serial), files.certificate), (keyPath(serial), files.key), (brokerAuthorityPath, files.serverAuthority),
        ]
        return FileManager.default.fileExists(atPath: state.file("factory.json"))
            && pairs.allSatisfy { source, copy in
                FileManager.default.contents(atPath: source).map { $0 == FileManager.default.contents(atPath: copy) } ?? false
            }
    }

    /// Makes the device `serial` in `state`, a new directory: the profile's factory files, TLS with
    /// client authentication, the broker's CA, and the certificate and a copy of the key.
    func install(serial: String, into state: DeviceStateDirectory, profile: DeviceProfile) throws {
        let certificatePath = certificatePath(serial)
        let file: CertificateFile
        do {
            file = try CertificateFile(path: certificatePath)
            try file.verifyKey(at: keyPath(serial))
        } catch {
            throw FleetError.unusableIdentity(path: certificatePath, reason: "cannot serve as device \(serial)'s identity: \(error)")
        }
        guard file.commonName == serial else {
            throw FleetError.unusableIdentity(
                path: certificatePath, reason: "names CN \(file.commonName ?? "(none)"), not \(serial): a device's CN is its serial number")
        }
        guard file.chain.count > 1 else {
            throw FleetError.unusableIdentity(
                path: certificatePath,
                reason:
                    "holds the device's certificate alone: put the CA that issued it after it (cat DEVICE.crt CA.crt), as `pki issue` writes it"
            )
        }
        try DeviceProvisioning.createForEnrolment(
            state: state, profile: profile, serialNumber: serial, broker: BrokerAddress(host: "localhost", port: nil),
            brokerAuthorityPEM: try ProtectedFile.read(brokerAuthorityPath))
        let files = state.identityFiles(.provisioned)
        try ProtectedFile.write(try ProtectedFile.read(keyPath(serial)), to: files.key, mode: 0o600)
        try ProtectedFile.write(try ProtectedFile.read(certificatePath), to: files.certificate, mode: 0o644)
    }
}

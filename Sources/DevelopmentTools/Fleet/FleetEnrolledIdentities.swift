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
        try Self.checkSource(brokerAuthorityPath, isKey: false)
        for serial in serials {
            try Self.checkSource(certificatePath(serial), isKey: false)
            try Self.checkSource(keyPath(serial), isKey: true)
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

    /// What a pre-enrolled file must be for the device to trust it, as `StateDirectoryTrust` asks of
    /// the device's own files, save that the owner may be root (a Secret's files are root's) and a
    /// key may be read by this process's own groups (the pod's fsGroup).
    private static func checkSource(_ path: String, isKey: Bool) throws(FleetError) {
        guard let resolved = realpath(path, nil) else {
            throw .unusableIdentity(path: path, reason: "cannot be opened: \(String(cString: strerror(errno)))")
        }
        let target = String(cString: resolved)
        free(resolved)
        var info = stat()
        guard lstat(target, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw .unsafeIdentityFile(path: path, reason: "is not a regular file", fix: "give the file itself")
        }
        let mode = "mode 0" + String(info.st_mode & 0o777, radix: 8)
        if info.st_uid != 0 && info.st_uid != geteuid() {
            throw .unsafeIdentityFile(
                path: path, reason: "is owned by user \(info.st_uid), not by root or by user \(geteuid()) who runs the simulator",
                fix: "give it to root (as a Secret's files are) or to that user")
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            throw .unsafeIdentityFile(path: path, reason: "can be changed by users besides its owner (\(mode))", fix: "chmod go-w it")
        }
        guard isKey else { return }
        if info.st_mode & S_IROTH != 0 {
            throw .unsafeIdentityFile(
                path: path, reason: "is a private key readable by all users (\(mode))",
                fix: "chmod o-r it; on Kubernetes mount the Secret with defaultMode: 0440 and the pod's fsGroup "
                    + "(the default mode, 0644, lets every user read it)")
        }
        if info.st_mode & S_IRGRP != 0 && !processGroups.contains(info.st_gid) {
            throw .unsafeIdentityFile(
                path: path, reason: "is a private key readable by group \(info.st_gid) (\(mode)), which this process is not in",
                fix: "chmod g-r it, or run in that group (on Kubernetes: the pod's fsGroup)")
        }
    }

    private static var processGroups: Set<gid_t> {
        var groups = [gid_t](repeating: 0, count: Int(max(0, getgroups(0, nil))))
        let count = getgroups(Int32(groups.count), &groups)
        return Set(groups.prefix(Int(max(0, count)))).union([getegid()])
    }
}

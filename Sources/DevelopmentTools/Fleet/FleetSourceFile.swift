import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file handed to the fleet from outside (a Secret, a read-only volume): a pre-enrolled identity,
/// or the PKI that issues them. Judged as `StateDirectoryTrust` judges the device's own files, save
/// that the owner may be root (a Secret's files are root's) and a key may be read by this process's
/// own groups.
enum FleetSourceFile {
    /// Whether `path` is safe to take: owned by root or this user, changed by no one else, and, for
    /// a key, read by no one but the owner and this process's own groups (the pod's fsGroup).
    static func check(_ path: String, isKey: Bool) throws(FleetError) {
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

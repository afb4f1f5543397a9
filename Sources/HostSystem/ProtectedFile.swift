import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writes files the way key material needs: created with the final mode (never briefly
/// world-readable), flushed to disk, then renamed over the target so readers see old or new.
public enum ProtectedFile {
    public static func write(_ contents: String, to path: String, mode: mode_t) throws(FileError) {
        try write(Array(contents.utf8), to: path, mode: mode)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(FileError) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        fchmod(fd, mode)
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else {
                unlink(temporary)
                throw .cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            written += result
        }
        guard fsync(fd) == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .cannotWrite(path: path, reason: reason)
        }
    }

    /// The permission bits that let users other than the owner read the file, if any.
    public static func othersCanRead(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return info.st_mode & (S_IRGRP | S_IROTH) != 0
    }

    public static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(FileError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: mode])
        } catch {
            throw .cannotWrite(path: path, reason: error.localizedDescription)
        }
    }

    public static func read(_ path: String) throws(FileError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            // There but unreadable (a mount's mode, another owner) is not missing: say whose it is.
            var info = stat()
            guard stat(path, &info) == 0 else { throw .missing(path: path) }
            let reason = access(path, R_OK) == 0 ? "it could not be read" : String(cString: strerror(errno))
            throw .unreadable(
                path: path,
                reason:
                    "\(reason); it is owned by uid \(info.st_uid), gid \(info.st_gid), mode \(String(info.st_mode & 0o7777, radix: 8)), "
                    + "and this process runs as uid \(geteuid()), gid \(getegid())")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file the device keeps or is handed, refusing anything but a regular file of bounded
/// size: a symbolic link could point at a secret whose content would then reach error messages
/// (and `cfg/result`), a FIFO or a device would block the reader forever, and a huge file would
/// be held in memory whole.
public enum RegularFile {
    /// `followingSymbolicLinks` is for a path a person named on the command line; files the
    /// daemon finds in its state directory or inbox are never followed.
    public static func read(_ path: String, maximumSize: Int, followingSymbolicLinks: Bool = false) throws(FileError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat below refuses it anyway.
        let flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | (followingSymbolicLinks ? 0 : O_NOFOLLOW)
        let descriptor = open(path, flags)
        guard descriptor >= 0 else {
            let code = errno
            switch code {
            case ENOENT: throw .missing(path: path)
            case ELOOP where !followingSymbolicLinks: throw .notRegular(path: path, kind: "a symbolic link")
            default: throw .unreadable(path: path, reason: String(cString: strerror(code)))
            }
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .notRegular(path: path, kind: kind(of: status.st_mode)) }
        guard Int(status.st_size) <= maximumSize else { throw .tooLarge(path: path, size: Int(status.st_size), limit: maximumSize) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            // The file may grow after fstat; never hold more than the limit.
            guard bytes.count <= maximumSize else { throw .tooLarge(path: path, size: bytes.count, limit: maximumSize) }
        }
    }

    private static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}

import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Keys, certificates and PKI records on disk: `ProtectedFile`, with a failure reported as the
/// identity's.
public enum IdentityFile {
    public static func write(_ contents: String, to path: String, mode: mode_t) throws(IdentityError) {
        try write(Array(contents.utf8), to: path, mode: mode)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(IdentityError) {
        do {
            try ProtectedFile.write(bytes, to: path, mode: mode)
        } catch {
            throw .file(error)
        }
    }

    public static func read(_ path: String) throws(IdentityError) -> String {
        do {
            return try ProtectedFile.read(path)
        } catch {
            throw .file(error)
        }
    }

    public static func makeDirectory(_ path: String) throws(IdentityError) {
        do {
            try ProtectedFile.makeDirectory(path)
        } catch {
            throw .file(error)
        }
    }
}

/// A file that could not be read or written, with what to do about it; the modules above
/// report it as (or inside) their own failure.
public enum FileError: Error, Equatable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case notRegular(path: String, kind: String)
    case tooLarge(path: String, size: Int, limit: Int)
    case unreadable(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): "\(path): no such file; check the path"
        case .notRegular(let path, let kind):
            "\(path) is \(kind); only a regular file is read here (copy the file itself into place)"
        case .tooLarge(let path, let size, let limit):
            "\(path) holds \(size) bytes or more; at most \(limit) bytes are accepted"
        case .unreadable(let path, let reason): "\(path) cannot be read (\(reason)); check its permissions"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason); check the directory's permissions and free space"
        }
    }
}

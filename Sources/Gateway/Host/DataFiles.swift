import Foundation
import HostSystem

/// Finds the data the tool ships beside its code (`DeviceProfiles/`, `Traces/`). `$SMARTREADER_DATA`,
/// when set, is the only place looked in: a user who names a directory means that one. Otherwise
/// `../share/smartreader` beside the executable (an installed copy, the executable found from
/// /proc/self/exe), the source checkout the binary was built from, then the system's
/// /usr/local/share/smartreader and /usr/share/smartreader (a binary copied on its own to a
/// gateway where the package is installed).
public enum DataFiles {
    /// A place data may be, and why it is looked in, for an error that lists them.
    public struct Root: Sendable, Equatable {
        public var path: String
        public var reason: String

        public init(_ path: String, _ reason: String) {
            self.path = path
            self.reason = reason
        }
    }

    /// The directory `name` (`DeviceProfiles`, `Traces`) in the first root that has it with
    /// something in it: an empty one left by a partial copy does not hide the data further on.
    public static func directory(_ name: String) throws(DataFilesError) -> String {
        try directory(name, among: roots)
    }

    static func directory(_ name: String, among roots: [Root]) throws(DataFilesError) -> String {
        var searched: [DataFilesError.Place] = []
        for root in roots {
            let path = (root.path as NSString).appendingPathComponent(name)
            guard let problem = problem(with: path) else { return path }
            searched.append(DataFilesError.Place(path: path, reason: root.reason, problem: problem))
        }
        throw DataFilesError(name: name, searched: searched)
    }

    static var roots: [Root] {
        // Empty is unset, as a shell user means by `SMARTREADER_DATA=`; a relative path is the user's, from where they stand.
        if let override = ProcessInfo.processInfo.environment["SMARTREADER_DATA"], !override.isEmpty {
            let absolute = override.hasPrefix("/") ? override : FileManager.default.currentDirectoryPath + "/" + override
            return [Root((absolute as NSString).standardizingPath, "$SMARTREADER_DATA")]
        }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        var roots = [
            Root(
                executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/smartreader").path,
                "beside the executable \(executable.path)")
        ]
        if let checkout = SourceCheckout.root(of: #filePath) { roots.append(Root(checkout, "the source checkout it was built from")) }
        roots += ["/usr/local/share/smartreader", "/usr/share/smartreader"].map { Root($0, "the system's") }
        return roots
    }

    /// Why `path` is not a directory of data, or nil when it is one.
    private static func problem(with path: String) -> String? {
        var status = stat()
        guard stat(path, &status) == 0 else { return errno == ENOENT ? "missing" : String(cString: strerror(errno)) }
        guard status.st_mode & S_IFMT == S_IFDIR else { return "not a directory" }
        guard access(path, R_OK | X_OK) == 0 else { return String(cString: strerror(errno)) }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return "cannot be listed" }
        return entries.contains { !$0.hasPrefix(".") } ? nil : "empty"
    }

    /// The running binary as the kernel knows it: argv[0] of a command typed by name has no
    /// directory, and read against the current one it would take data from wherever the user stands.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// None of the places data may be holds the directory asked for.
public struct DataFilesError: Error, Equatable, CustomStringConvertible {
    /// A place looked in: the directory, why it was looked in, and what was wrong with it.
    public struct Place: Sendable, Equatable {
        public var path: String
        public var reason: String
        public var problem: String
    }

    public var name: String
    public var searched: [Place]

    public var description: String {
        let places = searched.map { "  \($0.path) (\($0.reason)): \($0.problem)" }
        let fix =
            searched.count == 1 && searched[0].reason == "$SMARTREADER_DATA"
            ? "Point SMARTREADER_DATA at a directory holding DeviceProfiles/ and Traces/, or unset it."
            : "Install the Debian package, or set SMARTREADER_DATA to a directory holding DeviceProfiles/ and Traces/ "
                + "(the source tree has them; `smartreader install` then copies them beside the binary it installs)."
        return "\(name)/ not found; looked in:\n" + places.joined(separator: "\n") + "\n" + fix
    }
}

import Foundation
import HostSystem

/// Finds the data the tool ships beside its code (`DeviceProfiles/`, `Traces/`): first
/// `$SMARTREADER_DATA`, then `../share/smartreader` beside the executable (an installed copy,
/// the executable found from /proc/self/exe), then the source checkout the binary was built from.
public enum DataFiles {
    public static func directory(_ name: String) -> String {
        let candidates = candidates(name)
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates.last!
    }

    private static func candidates(_ name: String) -> [String] {
        var roots: [String] = []
        if let override = ProcessInfo.processInfo.environment["SMARTREADER_DATA"] { roots.append(override) }
        let executable = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath()
        roots.append(executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/smartreader").path)
        if let checkout = SourceCheckout.root(of: #filePath) { roots.append(checkout) }
        return roots.map { ($0 as NSString).appendingPathComponent(name) }
    }

    /// The running binary as the kernel knows it: argv[0] of a command typed by name has no
    /// directory, and read against the current one it would take data from wherever the user stands.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

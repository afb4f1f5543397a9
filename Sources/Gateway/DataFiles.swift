import Foundation

/// Finds the data the tool ships beside its code (`DeviceProfiles/`, `Traces/`): first
/// `$SMARTREADER_DATA`, then `../share/smartreader` beside the executable (an installed copy),
/// then the source checkout the binary was built from.
public enum DataFiles {
    public static func directory(_ name: String) -> String {
        let candidates = candidates(name)
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates.last!
    }

    private static func candidates(_ name: String) -> [String] {
        var roots: [String] = []
        if let override = ProcessInfo.processInfo.environment["SMARTREADER_DATA"] { roots.append(override) }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        roots.append(executable.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("share/smartreader").path)
        let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        roots.append(sourceRoot.path)
        return roots.map { ($0 as NSString).appendingPathComponent(name) }
    }
}

import Foundation

/// The source checkout a file was compiled from, found from `#filePath`: the data that ships
/// beside the code (profiles, traces) and the built binary are found from it when running from a
/// build rather than an installed copy.
public enum SourceCheckout {
    /// The nearest directory above `sourceFile` that holds Package.swift, or nil (the checkout was
    /// moved or removed since the build), so that moving a file between folders does not lose it.
    public static func root(of sourceFile: String) -> String? {
        var directory = URL(fileURLWithPath: sourceFile).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory.path }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }
}

import Foundation
import TestSupport
import Testing

/// What the built binary says about itself: `--version`, and `install`'s warning when it needs the
/// toolchain it was built with (the static, packaged binary is tested by Packaging/deb/test).
@Suite("the binary's own identity")
struct BuildIdentityTests {
    @Test("--version: the version, the commit line, MQTT 3.1.1 and 5.0, the TLS library")
    func versionOption() async throws {
        let result = try await runTool(binary, ["--version"])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
        #expect(lines == ["smartreader", "commit", "MQTT", "TLS"], "\(result.output)")
        #expect(result.output.contains("\nMQTT        3.1.1, 5.0\nTLS         BoringSSL"), "\(result.output)")
    }

    @Test("install from a build that loads the Swift runtime from the toolchain warns that it needs that toolchain")
    func installWarnsOfSharedRuntime() async throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let arguments = [
            "install", "--prefix", root + "/usr", "--unit-directory", root + "/units", "--config-directory", root + "/etc",
            "--no-system-changes",
        ]
        let result = try await runTool(binary, arguments)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("warning    this binary loads the Swift runtime from /"), "\(result.output)")
        #expect(result.output.contains("/libswiftCore.so: it starts only where that toolchain is installed"), "\(result.output)")
    }
}

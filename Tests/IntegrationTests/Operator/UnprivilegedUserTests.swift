import Foundation
import TestSupport
import Testing

/// The systemd unit runs each device as the `smartreader` user, without capabilities: nothing on
/// the connection path may need privileges (a socket option set at the wrong level once did).
@Suite("the daemon as an unprivileged user, as the systemd unit runs it")
struct UnprivilegedUserTests {
    @Test("a device run by an unprivileged user connects and publishes")
    func unprivilegedReplay() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let trace = (fixture.directory as NSString).appendingPathComponent("one.jsonl")
            try #"{"t":0,"TagId":"04A1B2C3D4E5F6","Move":"Insert"}"#.write(toFile: trace, atomically: true, encoding: .utf8)
            var command = [binary, "replay", trace, "--state-dir", state.path, "--fast"]
            if geteuid() == 0 {
                // Run as nobody, owning the device as the unit's user owns its state directory.
                let chown = try await runTool("/bin/chown", ["-R", "65534:65534", state.path])
                #expect(chown.status == 0, "\(chown.output)")
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.directory)
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: trace)
                command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
            }
            let replay = try await runTool(command[0], Array(command.dropFirst()))
            #expect(replay.status == 0 && replay.output.contains("all acknowledged"), "\(replay.output)")
        }
    }
}

import DevelopmentTools
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// What an operator sees of a daemon: `status` from its control socket, the state directory's
/// permissions, and the service installation checked by systemd's own tools.
@Suite("running as a service")
struct OperatorTests {
    @Test("status: not connected with the reason, then connected after a reload fixes the port, the last event, then not running")
    func statusFromTheRunningDaemon() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let closedPort = try LocalMosquitto.freeLoopbackPort()
            #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "mqtt.port", "\(closedPort)"]).status == 0)
            let trace = fixture.directory + "/two.jsonl"
            try Data(
                """
                {"t":0.0,"TagId":"04A1B2C3D4E5F6","Protocol":"NFC-A","Move":"Insert"}
                {"t":0.1,"TagId":"04A1B2C3D4E5F7","Protocol":"NFC-A","Move":"Insert"}

                """.utf8
            ).write(to: URL(fileURLWithPath: trace))
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--trace", trace])
            let status = { try await runTool(binary, ["status", "--state-dir", state.path]) }

            // The socket answers while the first connection is still being attempted.
            var unreachable = try await status()
            for _ in 0..<100 where unreachable.status == 3 || !unreachable.output.contains("problem") {
                try await Task.sleep(for: .milliseconds(100))
                unreachable = try await status()
            }
            #expect(unreachable.status == 2, "\(unreachable.output)")
            #expect(unreachable.output.contains("NOT connected since"), "\(unreachable.output)")
            #expect(unreachable.output.contains("127.0.0.1:\(closedPort)") || unreachable.output.contains(":\(closedPort)"))
            #expect(unreachable.output.contains("problem  "), "the last attempt's error is shown")

            // A reload replaces the first boot that never connected.
            #expect(
                try await runTool(binary, ["config", "set", "--state-dir", state.path, "mqtt.port", "\(fixture.broker.port)"]).status == 0)
            let reloaded = try await runTool(binary, ["config", "reload", "--state-dir", state.path])
            #expect(reloaded.status == 0 && reloaded.output.contains("applied"), "\(reloaded.output)")

            var connected = try await status()
            for _ in 0..<100 where !connected.output.contains("2 read") {
                try await Task.sleep(for: .milliseconds(100))
                connected = try await status()
            }
            #expect(connected.status == 0, "\(connected.output)")
            #expect(connected.output.contains("broker   localhost:\(fixture.broker.port): connected since"), "\(connected.output)")
            #expect(connected.output.contains("2 read since the daemon started") && connected.output.contains("tag 04A1B2C3D4E5F7"))
            #expect(connected.output.contains("cert     valid until"), "\(connected.output)")
            let json = try await runTool(binary, ["status", "--state-dir", state.path, "--json"])
            let health = try DeviceHealth.decode(json: Array(json.output.utf8))
            #expect(health.connected && health.clientID == "DA1275B0" && health.eventsRead == 2 && health.bootCount == 2)
            #expect(health.certificateNotAfter.map { $0 > Date() } == true)

            // Everything the daemon wrote is its owner's alone; nothing is writable by others.
            func shareable(_ entry: String) -> Bool {
                entry == "factory.json" || entry == "factory-config.json" || (entry.hasPrefix("slots/cert-") && entry.hasSuffix(".pem"))
            }
            for entry in try FileManager.default.subpathsOfDirectory(atPath: state.path) {
                let mode = try #require(FileManager.default.attributesOfItem(atPath: state.file(entry))[.posixPermissions] as? Int)
                #expect(mode & 0o022 == 0, "\(entry) is writable by others: \(String(mode, radix: 8))")
                if !shareable(entry) {
                    #expect(mode & 0o077 == 0, "\(entry) is readable by others: \(String(mode, radix: 8))")
                }
            }

            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0, "\(daemon.lines.joined(separator: "\n"))")
            let stopped = try await status()
            #expect(stopped.status == 3 && stopped.output.contains("daemon   not running"), "\(stopped.output)")
            #expect(
                stopped.output.contains("spool    empty: every event read has been acknowledged"),
                "\(stopped.output)\n\(daemon.lines.joined(separator: "\n"))")
        }
    }

    @Test("install writes the binary, its data and a unit that systemd-analyze verifies, with an exposure of at most 2.0")
    func installedServiceUnit() async throws {
        let root = NSTemporaryDirectory() + "install-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let arguments = [
            "install", "--prefix", root + "/usr", "--unit-directory", root + "/units", "--config-directory", root + "/etc",
            "--no-system-changes",
        ]
        let installed = try await runTool(binary, arguments)
        #expect(installed.status == 0, "\(installed.output)")
        #expect(installed.output.contains("useradd --system"), "the root-only steps are printed, not run")
        // Again, as an upgrade does: every file replaced in place.
        #expect(try await runTool(binary, arguments).status == 0)

        let unit = root + "/units/smartreader@.service"
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        for line in [
            "ExecStart=\(root)/usr/bin/smartreader run --state-dir /var/lib/smartreader/%i $SMARTREADER_OPTIONS", "Restart=on-failure",
            "StartLimitBurst=5",
            "After=network-online.target", "User=smartreader", "SupplementaryGroups=dialout input", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "PrivateTmp=yes", "StateDirectoryMode=0700",
        ] {
            #expect(text.contains(line + "\n"), "the unit lacks \(line)")
        }
        let verify = try await runTool("systemd-analyze", ["verify", root + "/units/smartreader@DA1275B0.service"])
        #expect(verify.status == 0 && verify.output.isEmpty, "systemd-analyze verify: \(verify.output)")
        let security = try await runTool(
            "systemd-analyze", ["security", "--offline=yes", "--threshold=20", root + "/units/smartreader@DA1275B0.service"])
        #expect(security.status == 0, "exposure above 2.0: \(security.output.suffix(300))")

        // The installed copy reads its device profiles from PREFIX/share, not from the checkout it was built in.
        try FileManager.default.removeItem(atPath: root + "/usr/share/smartreader/DeviceProfiles/pn532-gateway.json")
        let profiles = try await runTool(root + "/usr/bin/smartreader", ["profiles"])
        #expect(profiles.status == 0 && profiles.output.contains("springpark"), "\(profiles.output)")
        #expect(!profiles.output.contains("pn532-gateway"), "\(profiles.output)")
    }
}

extension OperatorTests {
    @Test("a device created for the operator's own PKI: create, csr, the CA signs, install, and it publishes")
    func deviceForOwnPKI() async throws {
        try await BrokerFixture.with { fixture in
            let state = DeviceStateDirectory(path: fixture.directory + "/device-0A0B0C0D")
            let create = try await runTool(
                binary,
                [
                    "create", "--state-dir", state.path, "--serial", "0a0b0c0d", "--broker", "localhost:\(fixture.broker.port)",
                    "--broker-ca", fixture.pki.rootCertificatePath,
                ])
            #expect(create.status == 0, "\(create.output)")
            let again = try await runTool(
                binary,
                [
                    "create", "--state-dir", state.path, "--serial", "0A0B0C0D", "--broker", "localhost", "--broker-ca",
                    fixture.pki.rootCertificatePath,
                ])
            #expect(again.status != 0 && again.output.contains("already holds a device"), "\(again.output)")

            #expect(try await runTool(binary, ["pki", "csr", "--state-dir", state.path]).status == 0)
            let certificate = fixture.directory + "/0A0B0C0D.crt"
            let signed = try await runTool(
                binary, ["pki", "sign", fixture.pki.directory, "--csr", state.file("device.csr"), "--out", certificate])
            #expect(signed.status == 0 && signed.output.contains("certificate CN=0A0B0C0D:"), "\(signed.output)")
            let installed = try await runTool(binary, ["pki", "install", "--state-dir", state.path, certificate])
            #expect(installed.status == 0, "\(installed.output)")

            let trace = fixture.directory + "/one.jsonl"
            try Data(#"{"t":0,"TagId":"04A1B2C3D4E5F6","Move":"Insert"}"#.utf8).write(to: URL(fileURLWithPath: trace))
            let replayed = try await runTool(binary, ["replay", trace, "--state-dir", state.path])
            #expect(replayed.status == 0 && replayed.output.contains("replayed 1 events"), "\(replayed.output)")
        }
    }
}

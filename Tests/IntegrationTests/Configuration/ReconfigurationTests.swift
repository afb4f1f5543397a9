import DevelopmentTools
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// Pushes to a running daemon through each way in, watched by mosquitto_sub.
@Suite("reconfiguration of a running device against a real mosquitto")
struct ReconfigurationTests {
    /// config.json of the device with `change` applied: a whole file, as a pusher that restores defaults must send.
    private func wholeFile(_ state: DeviceStateDirectory, _ change: (inout ConfigData) -> Void) throws -> [UInt8] {
        var data = try state.loadCurrentFile()
        change(&data)
        return Array(data.serialized())
    }

    private func write(_ bytes: [UInt8], _ path: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("config push, a bad push, the inbox and SIGHUP: offline, then META with the new ConfigId; a bad file changes nothing")
    func socketInboxAndSIGHUP() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice()

            // A merge into the running configuration, through the control socket.
            let small = try write(Array(#"{"config": {"00.s": "v2"}}"#.utf8), fixture.directory + "/small.json")
            let pushed = try await runTool(binary, ["config", "push", small, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status == 0, "\(pushed.output)")
            #expect(pushed.output.contains("applied"))
            try await observer.waitFor("META v2") { configIDs($0) == ["", "v2"] }
            let statuses = observer.payloads(onTopicEndingWith: "DA1275B0/status")
            #expect(statuses.contains { $0.hasPrefix(#"{"State":"offline","#) }, "the reboot said offline first")
            #expect(try state.loadCurrentFile().string(.configID) == "v2")
            #expect(try ConfigData.load(contentsOf: state.file("config.last-good.json")).string(.configID) == "")

            // Restoring the factory defaults turns the network off (02C0 00), drops the broker (0286) and
            // TLS (0288): refused, nothing changes.
            let before = try Data(contentsOf: URL(fileURLWithPath: state.configurationPath))
            let bad = try await runTool(binary, ["config", "push", small, "--state-dir", state.path])
            #expect(bad.status != 0)
            #expect(
                bad.output.contains("rejected, nothing changed") && bad.output.contains("register 02C0 is 00 (network 0 disabled"),
                "\(bad.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: state.configurationPath)) == before)
            let broken = try write(Array("{\"config\": {\"89\": \"5314\"}}".utf8), fixture.directory + "/broken.json")
            let refused = try await runTool(binary, ["config", "push", broken, "--state-dir", state.path, "--no-load-defaults"])
            #expect(refused.output.contains("register 0289 holds 6 bytes, got 2"), "\(refused.output)")

            // The inbox: written under a temporary name, then renamed into place, as rsync does.
            let inbox = state.file("inbox")
            let temporary = try write(try wholeFile(state) { $0.setString(.configID, "v3") }, inbox + "/.next.json.tmp")
            try FileManager.default.moveItem(atPath: temporary, toPath: inbox + "/next.json")
            try await observer.waitFor("META v3") { configIDs($0).last == "v3" }
            try await daemon.waitFor("the inbox file filed as applied") { _ in
                (try? String(contentsOfFile: inbox + "/applied/next.json.result", encoding: .utf8))?.contains(#""Result":"applied""#)
                    == true
            }

            let offline = try await runTool(binary, ["config", "push", small, "--state-dir", state.path, "--offline"])
            #expect(offline.status != 0 && offline.output.contains("a daemon is running"), "--offline never writes under a running daemon")

            // --no-reset stores without rebooting.
            let later = try write(Array(#"{"config": {"00.s": "v4"}}"#.utf8), fixture.directory + "/later.json")
            let stored = try await runTool(
                binary, ["config", "push", later, "--state-dir", state.path, "--no-load-defaults", "--no-reset"])
            #expect(stored.status == 0 && stored.output.contains("stored"), "\(stored.output)")
            #expect(try state.loadCurrentFile().string(.configID) == "v4")

            // SIGHUP reloads config.json as edited in place.
            #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "device.config-id", "v5"]).status == 0)
            daemon.signal(SIGHUP)
            try await observer.waitFor("META v5") { configIDs($0).last == "v5" }
            #expect(configIDs(observer) == ["", "v2", "v3", "v5"], "the bad pushes and the stored one never rebooted the device")

            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("cfg/set, when enabled: a good file reboots with it and cfg/result says applied; a bad one says rejected")
    func mqttConfigurationSet() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(remoteConfiguration: true)
            let control = try fixture.identity(role: .control, cn: "control-it")
            let topic = "springcard/springcore/DA1275B0/cfg/set"
            let good = try write(try wholeFile(state) { $0.setString(.configID, "remote-1") }, fixture.directory + "/good.json")
            _ = try await runTool(
                "mosquitto_pub", fixture.tlsArguments(prefix: control, clientID: "backend") + ["-t", topic, "-f", good, "-q", "1"])
            try await observer.waitFor("META remote-1 and an applied result") { observer in
                configIDs(observer).last == "remote-1"
                    && observer.payloads(onTopicEndingWith: "DA1275B0/cfg/result").contains { $0.contains(#""Result":"applied""#) }
            }
            _ = try await runTool(
                "mosquitto_pub",
                fixture.tlsArguments(prefix: control, clientID: "backend") + ["-t", topic, "-m", "{\"config\": ", "-q", "1"])
            try await observer.waitFor("a rejected result") { observer in
                observer.payloads(onTopicEndingWith: "DA1275B0/cfg/result").contains {
                    $0.contains(#""Result":"rejected""#) && $0.contains("line 1, column 12")
                }
            }
            #expect(configIDs(observer) == ["", "remote-1"])
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("a push pointing the broker at a closed port rolls back to the last known good configuration")
    func rollbackWhenBrokerUnreachable() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(["--rollback-after", "3"])
            let file = try fixture.portPush(port: try LocalMosquitto.freeLoopbackPort(), configID: "unreachable")
            let pushed = try await runTool(binary, ["config", "push", file, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status != 0)
            #expect(pushed.output.contains("rolled back") && pushed.output.contains("the last attempt: "), "\(pushed.output)")
            try await observer.waitFor("META again with the old configuration, and the rollback reported") { observer in
                configIDs(observer) == ["", ""]
                    && observer.payloads(onTopicEndingWith: "DA1275B0/cfg/result").contains { $0.contains(#""Result":"rolled-back""#) }
            }
            #expect(try state.loadCurrentFile().string(.configID) == "")
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("a push moving the device's topics outside the broker's ACL is rolled back: connected, but META refused (PUBACK 0x87)")
    func rollbackWhenTopicsClosed() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(["--rollback-after", "20"])
            let push = try write(Array(#"{"config": {"00.s": "closed", "8E.s": "elsewhere"}}"#.utf8), fixture.directory + "/closed.json")
            let pushed = try await runTool(binary, ["config", "push", push, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status != 0)
            #expect(
                pushed.output.contains("rolled back") && pushed.output.contains("refused its META on elsewhere/DA1275B0/meta")
                    && pushed.output.contains("0x87"), "\(pushed.output)")
            try await observer.waitFor("META again with the old configuration") { configIDs($0) == ["", ""] }
            #expect(try state.loadCurrentFile().string(.configID) == "")
            try await fixture.stopCleanly(daemon)
        }
    }
}

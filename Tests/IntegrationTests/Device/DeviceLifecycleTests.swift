import DevelopmentTools
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

private let sampleTrace = ((deviceProfilesDirectory as NSString).deletingLastPathComponent as NSString)
    .appendingPathComponent("Traces/springpark-sample.jsonl")

/// The daemon's lifecycle at its edges: a broker away at boot, a trial cut short by a kill or a
/// SIGTERM, pushes that overtake a trial, repeated and retained pushes, a second device process.
@Suite("the daemon's lifecycle at its edges, against a real mosquitto")
struct DeviceLifecycleTests {
    private func health(_ state: DeviceStateDirectory) async throws -> DeviceHealth? {
        let answer = try await runTool(binary, ["status", "--state-dir", state.path, "--json"])
        return try? DeviceHealth.decode(json: Array(answer.output.utf8))
    }

    private func bootCount(_ state: DeviceStateDirectory) throws -> Int {
        Int(try String(contentsOfFile: state.file("bootcount"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    private func offlineCount(_ observer: Subscriber) -> Int {
        observer.payloads(onTopicEndingWith: "DA1275B0/status").filter { $0.hasPrefix(#"{"State":"offline""#) }.count
    }

    private func eventCount(_ observer: Subscriber) -> Int {
        observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").count
    }

    @Test("with the broker away at boot, the reader is read at once and its events wait in the spool until a push fixes the port")
    func readsWhileTheBrokerIsAway() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let closedPort = try LocalMosquitto.freeLoopbackPort()
            #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "mqtt.port", "\(closedPort)"]).status == 0)
            let observer = try await fixture.watch()
            let daemon = try fixture.spawn(
                binary, ["run", "--state-dir", state.path, "--trace", sampleTrace, "--fast"])
            var spooled: DeviceHealth?
            for _ in 0..<100 {
                spooled = try await health(state)
                if let spooled, spooled.eventsRead == 8 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(spooled?.eventsRead == 8 && spooled?.spoolDepth == 5 && spooled?.connected == false, "\(String(describing: spooled))")

            let fixed = try fixture.portPush(port: fixture.broker.port, configID: "reachable")
            let pushed = try await runTool(binary, ["config", "push", fixed, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status == 0 && pushed.output.contains("applied"), "\(pushed.output)")
            // The sample trace's 8 lines are 5 readings and 3 removals; factory 02A0 reports readings only.
            try await observer.waitFor("the 5 events read while the broker was away") { eventCount($0) == 5 }
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("SIGTERM during a trial exits at once; the trial survives SIGTERM and SIGKILL, resumes at the next start and rolls back")
    func trialSurvivesRestarts() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            var daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--rollback-after", "60"])
            try await observer.waitFor("first META") { configIDs($0) == [""] }
            let bad = try fixture.portPush(port: try LocalMosquitto.freeLoopbackPort(), configID: "unreachable")
            let pusher = try fixture.spawn(binary, ["config", "push", bad, "--state-dir", state.path, "--no-load-defaults"])
            try await observer.waitFor("the reboot into the pushed configuration") { offlineCount($0) == 1 }

            let terminated = ContinuousClock.now
            daemon.signal(SIGTERM)
            let exit = try? await daemon.waitForExit(timeout: .seconds(10))
            #expect(exit == 0, "\(daemon.lines.joined(separator: "\n"))")
            #expect(ContinuousClock.now - terminated < .seconds(10), "SIGTERM waited for the trial's deadline")
            _ = try await pusher.waitForExit()
            #expect(try state.loadCurrentFile().string(.configID) == "unreachable")
            #expect(FileManager.default.fileExists(atPath: state.file("config.trial.json")), "the trial stays for the next start")

            // Restarted, the trial goes on; a SIGKILL does not end it either.
            daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--rollback-after", "60"])
            try await daemon.waitFor("the trial resumed") { $0.lines.contains { $0.contains("resuming the trial") } }
            daemon.signal(SIGKILL)
            _ = try await daemon.waitForExit()

            // The third start gives the trial what it has left (at most --rollback-after), then rolls back.
            daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--rollback-after", "2"])
            try await observer.waitFor("META of the last known good configuration") { configIDs($0) == ["", ""] }
            #expect(try state.loadCurrentFile().string(.configID) == "")
            #expect(!FileManager.default.fileExists(atPath: state.file("config.trial.json")))
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("a corrective push ends a bad push's trial at once instead of waiting for its deadline")
    func newerPushEndsTheTrial() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(["--rollback-after", "60"])
            let bad = try fixture.portPush(port: try LocalMosquitto.freeLoopbackPort(), configID: "unreachable")
            let badPusher = try fixture.spawn(binary, ["config", "push", bad, "--state-dir", state.path, "--no-load-defaults"])
            try await observer.waitFor("the reboot into the pushed configuration") { offlineCount($0) == 1 }

            let started = ContinuousClock.now
            let good = try fixture.portPush(port: fixture.broker.port, configID: "corrected")
            let pushed = try await runTool(binary, ["config", "push", good, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status == 0 && pushed.output.contains("applied"), "\(pushed.output)")
            #expect(ContinuousClock.now - started < .seconds(30))
            #expect(try await badPusher.waitForExit() != 0)
            #expect(badPusher.lines.joined().contains("rolled back") && badPusher.lines.joined().contains("arrived before"))
            try await observer.waitFor("META of the corrected configuration") { configIDs($0).last == "corrected" }
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("a retained cfg/set is applied once, a repeated push or SIGHUP of what runs does not reboot, SIGHUPs coalesce")
    func repeatedPushesDoNotReboot() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(remoteConfiguration: true)

            var retained = try state.loadCurrentFile()
            retained.setString(.configID, "retained")
            let file = fixture.directory + "/retained.json"
            try retained.serialized().write(to: URL(fileURLWithPath: file))
            let control = try fixture.identity(role: .control, cn: "control-it")
            _ = try await runTool(
                "mosquitto_pub",
                fixture.tlsArguments(prefix: control, clientID: "backend")
                    + ["-t", "springcard/springcore/DA1275B0/cfg/set", "-f", file, "-q", "1", "-r"])
            try await observer.waitFor("META with the retained configuration") { configIDs($0).last == "retained" }
            let boots = try bootCount(state)
            try await Task.sleep(for: .seconds(2))
            #expect(try bootCount(state) == boots, "the retained message, delivered again after the reboot, rebooted it again")

            // The same file again through the socket: nothing to do.
            let again = try await runTool(binary, ["config", "push", file, "--state-dir", state.path])
            #expect(again.status == 0 && again.output.contains("unchanged"), "\(again.output)")

            // A local push wins over the retained message, which comes back at the reboot and is not applied again.
            let local = try fixture.file("local.json", #"{"config": {"00.s": "local"}}"#)
            let pushed = try await runTool(binary, ["config", "push", local, "--state-dir", state.path, "--no-load-defaults"])
            #expect(pushed.status == 0 && pushed.output.contains("applied"), "\(pushed.output)")
            try await Task.sleep(for: .seconds(1))
            #expect(configIDs(observer).suffix(2) == ["retained", "local"], "\(configIDs(observer))")
            #expect(try state.loadCurrentFile().string(.configID) == "local")

            // Fifty SIGHUPs after one edit: one reboot.
            #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "device.config-id", "edited"]).status == 0)
            let before = try bootCount(state)
            for _ in 0..<50 { daemon.signal(SIGHUP) }
            try await observer.waitFor("META after the edit") { configIDs($0).last == "edited" }
            try await Task.sleep(for: .seconds(2))
            #expect(try bootCount(state) == before + 1)
            #expect(daemon.lines.filter { $0.contains("SIGHUP: reloading") }.count < 50)
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test(
        "a retained cfg/set that fails its trial is tried once: delivered live first, then retained after the rollback, it is not applied again"
    )
    func retainedBadPushTriedOnce() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(["--rollback-after", "2"], remoteConfiguration: true)
            var bad = try state.loadCurrentFile()
            bad.setString(.configID, "retained-bad")
            bad[.networkPorts] = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFE, 0, 0]
            let file = fixture.directory + "/retained-bad.json"
            try bad.serialized().write(to: URL(fileURLWithPath: file))
            let control = try fixture.identity(role: .control, cn: "control-it")
            let topic = "springcard/springcore/DA1275B0/cfg/set"
            _ = try await runTool(
                "mosquitto_pub", fixture.tlsArguments(prefix: control, clientID: "backend") + ["-t", topic, "-f", file, "-q", "1", "-r"])
            let rolledBack = { (observer: Subscriber) in
                observer.payloads(onTopicEndingWith: "DA1275B0/cfg/result").filter { $0.contains(#""Result":"rolled-back""#) }.count
            }
            try await observer.waitFor("the rollback") { rolledBack($0) == 1 && configIDs($0) == ["", ""] }
            try await Task.sleep(for: .seconds(4))
            #expect(rolledBack(observer) == 1, "the retained copy got a second trial")
            #expect(configIDs(observer) == ["", ""])
            // An empty retained message clears it at the broker; the device ignores it.
            _ = try await runTool(
                "mosquitto_pub", fixture.tlsArguments(prefix: control, clientID: "backend") + ["-t", topic, "-n", "-q", "1", "-r"])
            try await Task.sleep(for: .seconds(1))
            #expect(!observer.payloads(onTopicEndingWith: "DA1275B0/cfg/result").contains { $0.contains(#""Result":"rejected""#) })
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("SIGHUP during a trial reloads what the trial leaves on disk: after a rollback, the last known good, unchanged")
    func reloadDuringTrialReadsAfterIt() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice(["--rollback-after", "2"])
            let bad = try fixture.portPush(port: try LocalMosquitto.freeLoopbackPort(), configID: "unreachable")
            let pusher = try fixture.spawn(binary, ["config", "push", bad, "--state-dir", state.path, "--no-load-defaults"])
            try await observer.waitFor("the reboot into the pushed configuration") { offlineCount($0) == 1 }
            daemon.signal(SIGHUP)
            _ = try await pusher.waitForExit()
            try await observer.waitFor("META of the last known good configuration") { configIDs($0) == ["", ""] }
            try await Task.sleep(for: .seconds(5))
            #expect(configIDs(observer) == ["", ""], "the reload brought the rolled-back configuration back")
            #expect(daemon.lines.filter { $0.contains("rolling back") }.count == 1, "\(daemon.lines.joined(separator: "\n"))")
            #expect(try state.loadCurrentFile().string(.configID) == "")
            try await fixture.stopCleanly(daemon)
        }
    }

    @Test("replay on the state directory of a running daemon is refused instead of taking over its MQTT session")
    func secondDeviceProcessRefused() async throws {
        try await BrokerFixture.with { fixture in
            let (state, observer, daemon) = try await fixture.startDevice()
            let replay = try await runTool(
                binary, ["replay", sampleTrace, "--state-dir", state.path, "--fast"])
            #expect(replay.status != 0 && replay.output.contains("another smartreader"), "\(replay.output)")
            let second = try await runTool(binary, ["run", "--state-dir", state.path])
            #expect(second.status != 0 && second.output.contains("another smartreader"), "\(second.output)")
            #expect(eventCount(observer) == 0)
            #expect(try await health(state)?.connected == true, "the daemon kept its session")
            try await fixture.stopCleanly(daemon)
        }
    }
}

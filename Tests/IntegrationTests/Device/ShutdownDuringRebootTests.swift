import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// SIGTERM that lands while a SIGHUP reboot is under way: the trial's own stop and the
/// shutdown's stop meet on one device. Seen in CI as a crash (a dropped promise) and an exit
/// too late for the caller.
@Suite("SIGTERM during a SIGHUP reboot, against a real mosquitto")
struct ShutdownDuringRebootTests {
    @Test("the daemon exits 0 within 5 s however far the reboot has gone", arguments: [0, 10, 20, 30])
    func sigtermDuringReboot(delayMilliseconds: Int) async throws {
        try await BrokerFixture.with { fixture in
            let (state, _, daemon) = try await fixture.startDevice()
            #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "device.config-id", "next"]).status == 0)
            daemon.signal(SIGHUP)
            try await Task.sleep(for: .milliseconds(delayMilliseconds))
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit(timeout: .seconds(5)) == 0, "\(daemon.lines.joined(separator: "\n"))")
        }
    }

    @Test("SIGHUPs while the daemon starts, before it listens for them, do not end it")
    func sighupDuringStart() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path])
            for _ in 0..<4 {
                try await Task.sleep(for: .milliseconds(100))
                daemon.signal(SIGHUP)
            }
            try await observer.waitFor("first META") { configIDs($0).count >= 1 }
            #expect(daemon.exitStatus() == nil, "still running")
            try await fixture.stopCleanly(daemon)
        }
    }
}

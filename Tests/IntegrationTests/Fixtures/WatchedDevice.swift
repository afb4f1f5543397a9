import Foundation
import Gateway
import Testing

extension BrokerFixture {
    /// A provisioned device (`remoteConfiguration`: with `cfg/set` enabled) whose daemon runs
    /// `run` with `arguments`, watched by mosquitto_sub from before it started, once its first
    /// META is seen.
    func startDevice(
        _ arguments: [String] = [], remoteConfiguration: Bool = false
    ) async throws -> (state: DeviceStateDirectory, observer: Subscriber, daemon: Subscriber) {
        let state = try provision()
        if remoteConfiguration {
            try state.editConfiguration { $0.otherSections["emulator"] = .object(["remote-config": .bool(true)]) }
        }
        let observer = try await watch()
        let daemon = try spawn(binary, ["run", "--state-dir", state.path] + arguments)
        try await observer.waitFor("first META") { configIDs($0) == [""] }
        return (state, observer, daemon)
    }

    /// SIGTERM, and the clean exit it must bring (0); the daemon's last lines otherwise.
    func stopCleanly(_ daemon: Subscriber, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        daemon.signal(SIGTERM)
        let status = try await daemon.waitForExit()
        #expect(status == 0, "\(daemon.lines.suffix(30).joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}

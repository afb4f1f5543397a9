import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// Events a broker refuses (MQTT 5 PUBACK 0x87) are held, shown and sent again or discarded by
/// the operator: here the Device ID 028F points outside the ACL the broker derives from the CN.
@Suite("events the broker refuses")
struct RefusedEventsTests {
    @Test("refused events are held, status exits 4 and shows them, `spool retry` delivers them once fixed, `spool discard` counts")
    func refusedThenRetriedThenDiscarded() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            try state.editConfiguration { $0.setString(.deviceID, "CAFEBABE") }
            let observer = try await fixture.watch()
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM5")
            defer { reader.close() }
            let daemon = try fixture.spawn(
                binary, ["run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines", "--status-spool"])
            let tool = { (arguments: [String]) in try await runTool(binary, arguments + ["--state-dir", state.path]) }
            /// `status` once it exits with `code`, or as it is after 15 s.
            func status(exiting code: Int32) async throws -> (status: Int32, output: String) {
                var result = try await tool(["status"])
                for _ in 0..<150 where result.status != code {
                    try await Task.sleep(for: .milliseconds(100))
                    result = try await tool(["status"])
                }
                return result
            }
            func health() async throws -> DeviceHealth {
                try DeviceHealth.decode(json: Array(try await tool(["status", "--json"]).output.utf8))
            }
            func delivered(_ tag: String) -> Bool { observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").contains { $0.contains(tag) } }

            #expect(try await status(exiting: 0).status == 0, "connected, nothing held")
            try await daemon.waitUntilReading(reader)
            reader.write(Array("AB000001\r\nAB000002\r\n".utf8))
            let refused = try await status(exiting: 4)
            #expect(refused.status == 4, "\(refused.output)\n\(daemon.lines.joined(separator: "\n"))")
            #expect(refused.output.contains("2 events REFUSED are held"), "\(refused.output)")
            let held = try await health()
            #expect(held.connected && held.spoolRefused == 2 && held.spoolRefusedTotal == 2 && held.spoolDepth == 0)

            // The operator fixes the Device ID: the reboot does not send them again by itself.
            #expect(try await tool(["config", "set", "mqtt.device-id", "DA1275B0"]).status == 0)
            let reloaded = try await tool(["config", "reload"])
            #expect(reloaded.status == 0 && reloaded.output.contains("applied"), "\(reloaded.output)")
            #expect(try await health().spoolRefused == 2, "held across the reboot")
            #expect(!delivered("AB000001"))

            let retried = try await tool(["spool", "retry"])
            #expect(retried.status == 0 && retried.output.contains("2 refused events put back"), "\(retried.output)")
            try await observer.waitFor("the two retried events") { _ in delivered("AB000001") && delivered("AB000002") }
            let fixed = try await status(exiting: 0)
            #expect(fixed.status == 0, "\(fixed.output)")
            #expect(try await health().spoolRefused == 0)

            // Wrong again, pushed to the running daemon: its trial sees META refused and rolls back.
            #expect(try await tool(["config", "set", "mqtt.device-id", "CAFEBABE"]).status == 0)
            let rolledBack = try await tool(["config", "reload"])
            #expect(rolledBack.status != 0 && rolledBack.output.contains("refused its META"), "\(rolledBack.output)")
            // Started that way (no trial at a start), a third event is refused, and this time discarded, counted.
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
            #expect(try await tool(["config", "set", "mqtt.device-id", "CAFEBABE"]).status == 0)
            let restarted = try fixture.spawn(
                binary, ["run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines", "--status-spool"])
            try await restarted.waitUntilReading(reader)
            reader.write(Array("AB000003\r\n".utf8))
            #expect(try await status(exiting: 4).status == 4)
            let discarded = try await tool(["spool", "discard"])
            #expect(discarded.status == 0 && discarded.output.contains("1 refused events discarded"), "\(discarded.output)")
            let after = try await health()
            #expect(after.spoolRefused == 0 && after.spoolDiscarded == 1 && after.spoolRefusedTotal == 3, "\(after)")
            #expect(try await tool(["status"]).status == 0)

            try await fixture.stopCleanly(restarted)
            let stopped = try await tool(["status"])
            #expect(stopped.status == 3 && stopped.output.contains("3 refused, 1 discarded"), "\(stopped.output)")
        }
    }

    @Test("with no daemon and no spool file yet, neither `status` nor `spool retry` creates one")
    func noSpoolCreatedByReaders() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let stopped = try await runTool(binary, ["status", "--state-dir", state.path])
            #expect(stopped.status == 3 && stopped.output.contains("spool    empty (no"), "\(stopped.output)")
            #expect(!FileManager.default.fileExists(atPath: state.spoolPath), "status created no spool")
            let retried = try await runTool(binary, ["spool", "retry", "--state-dir", state.path])
            #expect(retried.status == 0 && retried.output.contains("0 refused events"), "\(retried.output)")
            #expect(!FileManager.default.fileExists(atPath: state.spoolPath))
        }
    }
}

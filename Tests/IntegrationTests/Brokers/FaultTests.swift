import Foundation
import Gateway
import Spool
import TestSupport
import Testing

@Suite("faults: nothing read is lost")
struct FaultTests {
    @Test("the daemon killed with SIGKILL while the broker is frozen: after a restart every event read reaches the observer")
    func sigkillWithSpooledEvents() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let count = 200
            // The reader is a serial port the test writes to, so events arrive only once the broker is frozen.
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM3")
            defer { reader.close() }
            let empty = fixture.directory + "/empty.jsonl"
            try Data().write(to: URL(fileURLWithPath: empty))

            // A second, MQTT 5 observer prints each event's event-id user property.
            let watchKey = (fixture.pki.directory as NSString).appendingPathComponent("watch-it")
            let ids = try fixture.spawn(
                "/usr/bin/mosquitto_sub",
                fixture.tlsArguments(prefix: watchKey, clientID: "watch-ids") + [
                    "-V", "mqttv5", "-t", "springcard/springcore/+/rdr/evt", "-q", "1", "-F", "%P",
                ])
            try await Task.sleep(for: .milliseconds(300))
            let first = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines"])
            try await observer.waitFor("META") { !$0.payloads(onTopicEndingWith: "DA1275B0/meta").isEmpty }
            await fixture.broker.signal(SIGSTOP)
            // "AB" keeps every line hex: an all-digit line would be read as decimal.
            try await first.waitUntilReading(reader)
            reader.write(Array((0..<count).map { String(format: "AB%06X\r\n", $0) }.joined().utf8))
            try await first.waitFor("the events read into the spool") { _ in
                ((try? SpoolStoreProbe.pendingCount(state)) ?? 0) >= count
            }
            first.signal(SIGKILL)
            _ = try await first.waitForExit()
            let spooled = try SpoolStoreProbe.pendingCount(state)
            #expect(spooled == count, "nothing was acknowledged by the frozen broker; \(spooled) are spooled")
            let stopped = try await runTool(binary, ["status", "--state-dir", state.path]).output
            #expect(
                stopped.contains("daemon   not running") && stopped.contains("spool    \(spooled) events ("),
                "\(stopped)")
            await fixture.broker.signal(SIGCONT)

            let second = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--reader", "trace:\(empty)"])
            try await observer.waitFor("all \(count) events", timeout: .seconds(30)) { observer in
                Set(observer.payloads(onTopicEndingWith: "rdr/evt").compactMap(tagID)).count == count
            }
            try await ids.waitFor("\(count) distinct event ids") { Set($0.lines.filter { $0.hasPrefix("event-id:") }).count == count }
            try await Task.sleep(for: .milliseconds(300))
            let running = try await runTool(binary, ["status", "--state-dir", state.path]).output
            #expect(running.contains("daemon   running") && running.contains("spool    empty"), "\(running)")
            second.signal(SIGTERM)
            #expect(try await second.waitForExit() == 0)
            #expect(try SpoolStoreProbe.pendingCount(state) == 0, "every event acknowledged is gone from the spool")
        }
    }

}

/// The TagId of a READER EVENT payload.
func tagID(_ payload: String) -> String? {
    guard let range = payload.range(of: #""TagId":""#) else { return nil }
    return String(payload[range.upperBound...].prefix { $0 != "\"" })
}

/// Reads the spool the daemon left behind.
enum SpoolStoreProbe {
    static func pendingCount(_ state: DeviceStateDirectory) throws -> Int { try summary(state).depth }

    static func summary(_ state: DeviceStateDirectory) throws -> SpoolReport { try SpoolStore(path: state.spoolPath).summary() }
}

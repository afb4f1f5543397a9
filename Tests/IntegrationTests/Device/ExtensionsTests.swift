import DeviceIdentity
import Foundation
import TestSupport
import Testing

/// `emulator.extensions`: on (the default), the device adds what the extensions table of docs/publishing.md
/// lists; off, mosquitto_sub sees only what the vendor documents a SpringPark sending.
@Suite("extensions: everything beyond the device, and one setting that turns it off")
struct ExtensionsTests {
    @Test(
        "on the wire with extensions on and off: event-id, EventId, STATUS Spool, retained META/STATUS, the backlog after an outage",
        arguments: [true, false])
    func extensionsOnTheWire(extensions: Bool) async throws {
        try await BrokerFixture.with(persistentBroker: true) { fixture in
            let state = try fixture.provision()
            if !extensions {
                let set = try await runTool(binary, ["config", "set", "--state-dir", state.path, "emulator.extensions", "off"])
                #expect(set.status == 0, "\(set.output)")
            }
            let observer = try await fixture.watch(keepingSession: true)
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM5")
            defer { reader.close() }
            // The two extensions the command line asks for explicitly: the setting overrides them.
            let daemon = try fixture.spawn(
                binary,
                [
                    "run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines", "--status-spool",
                    "--event-id-in-payload",
                ])
            try await observer.waitFor("STATUS") { !$0.records(onTopicEndingWith: "/status").isEmpty }
            try await daemon.waitUntilReading(reader)
            reader.write(Array("AB000001\r\n".utf8))
            do {
                try await observer.waitFor("the first event") { $0.records(onTopicEndingWith: "rdr/evt").count == 1 }
            } catch {
                Issue.record("the daemon said:\n\(daemon.lines.joined(separator: "\n"))")
                throw error
            }

            // A subscriber that comes late hears META and STATUS from the broker only if they were retained;
            // they arrive right after its SUBACK, before the probe `watch` waits for.
            let late = try await lateSubscriber(fixture)
            #expect(late.payloads(onTopicEndingWith: "DA1275B0/meta").count == (extensions ? 1 : 0), "\(late.lines)")
            #expect(late.payloads(onTopicEndingWith: "DA1275B0/status").count == (extensions ? 1 : 0), "\(late.lines)")

            await fixture.broker.stop()
            try await daemon.waitFor("the daemon to notice") { $0.lines.contains { $0.contains("MQTT connection lost") } }
            reader.write(Array("AB000002\r\n".utf8))
            if !extensions {
                try await daemon.waitFor("the drop to be logged") {
                    $0.lines.contains { $0.contains("tag read while not connected: dropped") }
                }
            }
            try await fixture.broker.startAgain()
            try await observer.waitFor("META again", timeout: .seconds(30)) { $0.records(onTopicEndingWith: "/meta").count >= 2 }
            reader.write(Array("AB000003\r\n".utf8))
            let expected = extensions ? ["AB000001", "AB000002", "AB000003"] : ["AB000001", "AB000003"]
            try await observer.waitFor("the last event", timeout: .seconds(30)) {
                $0.records(onTopicEndingWith: "rdr/evt").contains { tagID($0.payload) == "AB000003" }
            }
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)

            let events = observer.records(onTopicEndingWith: "rdr/evt")
            #expect(events.map { tagID($0.payload) } == expected, "events read during the outage: \(events)")
            for event in events {
                #expect(event.properties.hasPrefix("event-id:") == extensions, "user properties: \(event)")
                #expect(event.payload.contains(#""EventId":"#) == extensions, "\(event)")
            }
            let statuses = observer.records(onTopicEndingWith: "/status").map(\.payload)
            #expect(statuses.contains { $0.contains(#""Spool":"#) } == extensions, "\(statuses)")
            for record in observer.records(onTopicEndingWith: "") where !record.properties.isEmpty {
                #expect(extensions, "no user property with extensions off: \(record)")
            }
        }
    }

    /// A second Watch client (its own client ID, so the first keeps its session), subscribed once a probe comes back.
    private func lateSubscriber(_ fixture: BrokerFixture) async throws -> Subscriber {
        let watch = try fixture.identity(role: .watch, cn: "watch-it")
        let control = try fixture.identity(role: .control, cn: "control-it")
        let subscriber = try fixture.spawn(
            "/usr/bin/mosquitto_sub",
            fixture.tlsArguments(prefix: watch, clientID: "watch-late") + ["-t", "springcard/springcore/#", "-t", "probe/#", "-v"])
        for attempt in 0..<100 {
            _ = try await runTool(
                "mosquitto_pub",
                fixture.tlsArguments(prefix: control, clientID: "late-probe-\(attempt)") + ["-t", "probe/late", "-m", "ready"])
            if subscriber.lines.contains(where: { $0.hasPrefix("probe/") }) { return subscriber }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("the late mosquitto_sub never received a probe: \(subscriber.lines)")
    }
}

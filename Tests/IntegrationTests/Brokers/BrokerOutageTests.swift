import Foundation
import Gateway
import SpringCore
import TagReaders
import TestSupport
import Testing

@Suite("faults: the broker goes away")
struct BrokerOutageTests {
    @Test("the broker stopped for 10 s in the middle of a 10,000-event replay and started again: every event reaches the observer")
    func brokerRestart() async throws {
        try await BrokerFixture.with(persistentBroker: true) { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch(keepingSession: true)
            let count = 10_000
            // 1.5 ms apart: a 15 s replay, so the outage falls in its middle.
            let trace = fixture.directory + "/ten-thousand.jsonl"
            let lines = (0..<count).map { index in
                Trace.line(
                    for: TagEvent(tagID: String(format: "04%012X", index), protocolName: "NFC-A", move: .insert),
                    at: .microseconds(1500 * index))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)

            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--reader", "trace:\(trace)?speed=1"])
            try await observer.waitFor("the first 1,000 events", timeout: .seconds(30)) { $0.eventIDs.count >= 1000 }
            await fixture.broker.stop()
            let outageStarted = ContinuousClock.now
            try await daemon.waitFor("the daemon to notice") { $0.lines.contains { $0.contains("MQTT connection lost") } }
            try await Task.sleep(for: .seconds(3))
            let during = try SpoolStoreProbe.summary(state)
            #expect(during.depth > 0, "events read during the outage wait in the spool")
            try await Task.sleep(until: outageStarted + .seconds(10))
            try await fixture.broker.startAgain()

            // mosquitto_sub 2.0.11 now and then quits with "Protocol error" as it resumes its session on the
            // restarted broker; the broker keeps that session, and a new observer with the same client ID
            // receives the rest of it.
            var observers = [observer]
            let deadline = ContinuousClock.now + .seconds(90)
            while observers.reduce(into: Set<String>(), { $0.formUnion($1.eventIDs) }).count < count {
                guard ContinuousClock.now < deadline else {
                    throw FixtureError("timed out waiting for all \(count) event ids; saw \(observers.map(\.eventIDs.count))")
                }
                if observers.last?.exitStatus() != nil { observers.append(try await fixture.watch(keepingSession: true)) }
                try await Task.sleep(for: .milliseconds(100))
            }
            let tags = Set(observers.flatMap { $0.records(onTopicEndingWith: "rdr/evt") }.compactMap { tagID($0.payload) })
            #expect(tags.count == count, "every tag of the trace arrived")
            try await daemon.waitFor("the spool to empty", timeout: .seconds(10)) { _ in
                ((try? SpoolStoreProbe.summary(state).depth) ?? -1) == 0
            }
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }

    @Test("the spool full while the broker is away: drop-oldest keeps the newest, and the count of dropped events is exact")
    func spoolFull() async throws {
        try await BrokerFixture.with(persistentBroker: true) { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch(keepingSession: true)
            let (read, capacity) = (300, 100)
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM4")
            defer { reader.close() }
            let daemon = try fixture.spawn(
                binary,
                [
                    "run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines",
                    "--spool-max-events", String(capacity), "--when-spool-full", "drop-oldest", "--status-spool", "--event-id-in-payload",
                ])
            try await observer.waitFor("STATUS") { !$0.records(onTopicEndingWith: "/status").isEmpty }
            await fixture.broker.stop()
            try await daemon.waitFor("the daemon to notice") { $0.lines.contains { $0.contains("MQTT connection lost") } }

            try await daemon.waitUntilReading(reader)
            reader.write(Array((0..<read).map { String(format: "AB%06X\r\n", $0) }.joined().utf8))
            try await daemon.waitFor("\(read - capacity) events dropped") { _ in
                ((try? SpoolStoreProbe.summary(state).losses.dropped) ?? 0) >= read - capacity
            }
            let full = try SpoolStoreProbe.summary(state)
            #expect(full.depth == capacity && full.losses.dropped == read - capacity, "\(full)")
            let status = try await runTool(binary, ["status", "--state-dir", state.path]).output
            #expect(status.contains("\(capacity) events (") && status.contains("\(read - capacity) dropped when full"), "\(status)")

            try await fixture.broker.startAgain()
            try await observer.waitFor("the \(capacity) events kept", timeout: .seconds(60)) { $0.eventIDs.count >= capacity }
            try await Task.sleep(for: .seconds(1))
            let tags = observer.records(onTopicEndingWith: "rdr/evt").compactMap { tagID($0.payload) }
            #expect(tags.count == capacity && Set(tags).count == capacity, "exactly the kept events, once each")
            #expect(Set(tags) == Set((read - capacity..<read).map { String(format: "AB%06X", $0) }), "the newest were kept")
            for record in observer.records(onTopicEndingWith: "rdr/evt") {
                #expect(record.payload.hasSuffix(#","EventId":\#(record.properties.dropFirst("event-id:".count))}"#), "\(record)")
            }
            let statuses = observer.records(onTopicEndingWith: "/status").map(\.payload)
            #expect(
                statuses.contains { $0.contains(#""Spool":{"Depth":\#(capacity),"Dropped":\#(read - capacity),"Expired":0,"OldestAge":"#) },
                "STATUS carries the spool extension: \(statuses)")
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }
}

extension Subscriber {
    /// Records of a `keepingSession` observer: `topic|properties|payload`.
    func records(onTopicEndingWith suffix: String) -> [(properties: String, payload: String)] {
        lines.compactMap { line in
            let fields = line.split(separator: "|", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, fields[0].hasSuffix(suffix) else { return nil }
            return (String(fields[1]), String(fields[2]))
        }
    }

    /// Distinct event ids of the reader events seen.
    var eventIDs: Set<String> { Set(records(onTopicEndingWith: "rdr/evt").map(\.properties).filter { $0.hasPrefix("event-id:") }) }
}

import DevelopmentTools
import Foundation
import Gateway
import TestSupport
import Testing

/// `smartreader simulate` and the Prometheus endpoint, against mosquitto with mosquitto_sub watching.
@Suite("a fleet in one process, and metrics")
struct FleetTests {
    /// Scrapes `port` until `condition` holds for the text, or 15 s pass.
    private func scrape(_ port: Int, until condition: (String) -> Bool) async throws -> String {
        var seen = ""
        for _ in 0..<150 {
            let answer = try await runTool("curl", ["-s", "http://127.0.0.1:\(port)/metrics"])
            if condition(answer.output) { return answer.output }
            seen = "curl exit \(answer.status): \(answer.output)"
            try await Task.sleep(for: .milliseconds(100))
        }
        return seen
    }

    @Test("20 devices, each its own identity, META and offline STATUS; every event acknowledged; the report and the metrics agree")
    func twentyDevices() async throws {
        try await BrokerFixture.with { fixture in
            let observer = try await fixture.watch()
            let reportPath = fixture.directory + "/fleet.json"
            let metricsPort = try LocalMosquitto.freeLoopbackPort()
            let simulation = try fixture.spawn(
                binary,
                [
                    "simulate", "--devices", "20", "--pki", fixture.pki.directory, "--broker", "localhost:\(fixture.broker.port)",
                    "--rate", "40", "--duration", "120", "--connect-rate", "100", "--json", reportPath, "--metrics",
                    "127.0.0.1:\(metricsPort)",
                ])
            // Scraped while it runs; then SIGINT ends the run early, as Ctrl-C does, with a full report.
            let metrics = try await scrape(metricsPort) {
                $0.contains("smartreader_connected_devices 20") && !$0.contains("smartreader_events_acknowledged_total 0")
                    && $0.contains("smartreader_events_acknowledged_total")
            }
            #expect(metrics.contains("smartreader_connected_devices 20"), "\(metrics)\n\(simulation.lines.joined(separator: "\n"))")
            #expect(metrics.contains(#"smartreader_spool_depth{device="5F000013"}"#), "one spool gauge a device")
            simulation.signal(SIGINT)
            // 128 + SIGINT, as a process ended by Ctrl-C: a partial run is not a success.
            #expect(try await simulation.waitForExit(timeout: .seconds(30)) == 130, "\(simulation.lines.joined(separator: "\n"))")

            let report = try JSONDecoder().decode(FleetReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportPath)))
            #expect(report.connected == 20 && report.errors.isEmpty, "\(report)")
            // Marked as cut short, in the JSON and in the printed report.
            let fields = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as? [String: Any]
            let shardFields = (fields?["shards"] as? [[String: Any]])?.first
            let stop = shardFields?["stoppedEarly"] as? [String: Any]
            #expect(fields?["stoppedEarly"] as? Bool == true && stop?["reason"] as? String == "SIGINT", "\(fields ?? [:])")
            #expect(stop?["phase"] as? String == "publishing", "\(stop ?? [:])")
            #expect(
                simulation.lines.contains { $0.hasPrefix("stopped     early, by SIGINT while publishing") },
                "\(simulation.lines.joined(separator: "\n"))")
            #expect(report.eventsGiven >= 1 && report.eventsAcknowledged == report.eventsGiven, "\(report)")
            #expect(report.tlsHandshake.count == 20 && report.connAck.count == 20 && report.publishToPuback.count == report.eventsGiven)
            #expect(report.tlsHandshake.p50 > 0 && report.tlsHandshake.p50 <= report.connAck.max)
            #expect(report.publishToPuback.p50 <= report.publishToPuback.p99 && report.publishToPuback.p99 <= report.publishToPuback.max)

            try await observer.waitFor("every device's offline STATUS") { observer in
                Set(observer.lines.filter { $0.contains(#"{"State":"offline""#) }.map { $0.split(separator: " ")[0] }).count == 20
            }
            let metaTopics = Set(observer.lines.filter { $0.contains("/meta ") }.map { $0.split(separator: " ")[0] })
            #expect(metaTopics.count == 20 && metaTopics.contains("springcard/springcore/5F000000/meta"), "\(metaTopics)")
            let events = observer.lines.filter { $0.contains("/rdr/evt ") }
            #expect(events.count == report.eventsAcknowledged, "the broker delivered each acknowledged event once")

            // A second run reuses the fleet's identities instead of issuing them again.
            let again = try await runTool(
                binary,
                ["simulate", "--devices", "20", "--pki", fixture.pki.directory, "--broker", "localhost:\(fixture.broker.port)"])
            #expect(again.status == 0 && !again.output.contains("making devices"), "\(again.output)")
            #expect(!again.output.contains("stopped "), "a run to its end is not marked: \(again.output)")
        }
    }

    @Test("run --metrics: events read and acknowledged, the connection and the spool, in Prometheus' text format")
    func daemonMetrics() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let trace = fixture.directory + "/two.jsonl"
            try Data(
                """
                {"t":0.0,"TagId":"04A1B2C3D4E5F6","Move":"Insert"}
                {"t":0.1,"TagId":"04A1B2C3D4E5F7","Move":"Insert"}

                """.utf8
            ).write(to: URL(fileURLWithPath: trace))
            let port = try LocalMosquitto.freeLoopbackPort()
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--trace", trace, "--metrics", "127.0.0.1:\(port)"])
            let text = try await scrape(port) {
                $0.contains("smartreader_events_acknowledged_total 2") && $0.contains(#"smartreader_spool_depth{device="DA1275B0"} 0"#)
            }
            for line in [
                "# TYPE smartreader_events_read_total counter", "smartreader_events_read_total 2", "smartreader_events_published_total 2",
                "smartreader_events_acknowledged_total 2", "smartreader_connected_devices 1", "smartreader_connects_total 1",
                #"smartreader_spool_dropped{device="DA1275B0"} 0"#,
            ] {
                #expect(text.contains(line), "missing \(line) in \(text)")
            }
            let missing = try await runTool("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/other"])
            #expect(missing.output == "404")
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }

    @Test("the progress line counts the devices connected now: 0 during a broker outage, all again after; SIGTERM exits 143")
    func progressDuringOutage() async throws {
        try await BrokerFixture.with { fixture in
            let simulation = try fixture.spawn(
                binary,
                [
                    "simulate", "--devices", "2", "--pki", fixture.pki.directory, "--broker", "localhost:\(fixture.broker.port)",
                    "--rate", "2", "--duration", "120", "--connect-rate", "0",
                ])
            try await simulation.waitFor("both devices publishing", timeout: .seconds(30)) {
                $0.lines.contains { $0.contains("publishing: connected 2/2") }
            }
            await fixture.broker.stop()
            try await simulation.waitFor("the outage on the progress line", timeout: .seconds(15)) {
                $0.lines.contains { $0.contains("publishing: connected 0/2") }
            }
            try await fixture.broker.startAgain()
            try await simulation.waitFor("both devices back", timeout: .seconds(30)) { subscriber in
                guard let outage = subscriber.lines.firstIndex(where: { $0.contains("publishing: connected 0/2") }) else { return false }
                return subscriber.lines[outage...].contains { $0.contains("publishing: connected 2/2") }
            }
            simulation.signal(SIGTERM)
            // 128 + SIGTERM: a Kubernetes Job does not count the cut-short shard a success.
            #expect(try await simulation.waitForExit(timeout: .seconds(30)) == 143, "\(simulation.lines.joined(separator: "\n"))")
            #expect(simulation.lines.contains { $0.hasPrefix("stopped     early, by SIGTERM while publishing") })
        }
    }

    @Test("SIGTERM while the devices are being made stops the making at once: exit 143, no report, the devices made kept")
    func signalWhileMaking() async throws {
        try await BrokerFixture.with { fixture in
            let fleet = fixture.directory + "/fleet"
            let simulation = try fixture.spawn(
                binary,
                [
                    "simulate", "--devices", "5000", "--pki", fixture.pki.directory, "--fleet-directory", fleet, "--broker",
                    "localhost:\(fixture.broker.port)", "--rate", "1", "--duration", "1", "--json", "-",
                ])
            try await simulation.waitFor("the first devices made", timeout: .seconds(60)) {
                $0.lines.contains { $0.contains("making devices: 50 of 5000") }
            }
            simulation.signal(SIGTERM)
            let output = { simulation.lines.joined(separator: "\n") }
            #expect(try await simulation.waitForExit(timeout: .seconds(10)) == 143, "\(output())")
            #expect(output().contains("stopped by SIGTERM while making the devices"), "\(output())")
            #expect(!output().contains("\"fleetDevices\""), "no report: nothing ran")
            let made = try FileManager.default.contentsOfDirectory(atPath: fleet).filter { !$0.hasSuffix(".partial") }
            #expect(made.count >= 50 && made.count < 5000, "\(made.count) devices kept")
        }
    }
}

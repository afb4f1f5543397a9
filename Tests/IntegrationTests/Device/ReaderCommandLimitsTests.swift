import DevelopmentTools
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// Hostile and timed commands on rdr/cmd, through a real mosquitto: a command naming more relays
/// than the reader has is refused whole (not applied, logged or measured relay by relay), and a
/// timed relay reads off after its time in every view of the state.
@Suite("rdr/cmd limits and relay timing against a real mosquitto")
struct ReaderCommandLimitsTests {
    @Test("a 450 KB Relays array is refused in one short line, the daemon stays responsive; a timed relay is off everywhere after its time")
    func hugeRelaysAndTimedRelay() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let metricsPort = try LocalMosquitto.freeLoopbackPort()
            let observer = try await fixture.watch()
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM7")
            defer { reader.close() }
            let daemon = try fixture.spawn(
                binary,
                [
                    "run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines", "--metrics",
                    "127.0.0.1:\(metricsPort)",
                ])
            try await observer.waitFor("STATUS") { !$0.payloads(onTopicEndingWith: "DA1275B0/status").isEmpty }
            let control = try fixture.identity(role: .control, cn: "control-it")
            func publish(file: String) async throws {
                let sent = try await runTool(
                    "mosquitto_pub",
                    fixture.tlsArguments(prefix: control, clientID: "backend")
                        + ["-t", "springcard/springcore/DA1275B0/rdr/cmd", "-f", file, "-q", "1"])
                #expect(sent.status == 0, "\(sent.output)")
            }
            let huge = fixture.directory + "/huge.json"
            try Data(("{\"Relays\":[" + Array(repeating: "1", count: 150_000).joined(separator: ",") + "]}").utf8)
                .write(to: URL(fileURLWithPath: huge))
            try await publish(file: huge)
            try await observer.waitFor("the command on the broker") { !$0.payloads(onTopicEndingWith: "rdr/cmd").isEmpty }
            try await daemon.waitFor("the refusal") { $0.lines.contains { $0.contains("refusing command") } }
            let refusal = try #require(daemon.lines.first { $0.contains("refusing command") })
            #expect(refusal.contains("Relays has 150000 values") && refusal.contains("at most 4 relays"), "\(refusal)")
            #expect(refusal.utf8.count < 1000, "a \(refusal.utf8.count)-byte log line")

            let status = try await runTool(binary, ["status", "--state-dir", state.path, "--json"])
            #expect(status.status == 0, "\(status.output)")
            let refused = try #require(try DeviceHealth.decode(json: Array(status.output.utf8)).indicators)
            #expect(refused.relays.isEmpty && refused.commandsRefused == 1, "\(refused)")

            let timed = fixture.directory + "/timed.json"
            try Data(#"{"Relays":[true,false,500]}"#.utf8).write(to: URL(fileURLWithPath: timed))
            try await publish(file: timed)
            try await daemon.waitFor("the timed command") { $0.lines.contains { $0.contains("command applied") } }
            try await Task.sleep(for: .milliseconds(800))

            let answer = try await runTool(binary, ["status", "--state-dir", state.path, "--json"])
            let indicators = try #require(try DeviceHealth.decode(json: Array(answer.output.utf8)).indicators)
            #expect(indicators.relays == [.init(on: true), .init(on: false), .init(on: false)], "\(answer.output)")
            let text = try await runTool(binary, ["status", "--state-dir", state.path]).output
            #expect(text.contains("relay 1 on, relay 2 off, relay 3 off"), "\(text)")
            let metrics = try await runTool("curl", ["-s", "http://127.0.0.1:\(metricsPort)/metrics"]).output
            let relayLines = metrics.split(separator: "\n").filter { $0.hasPrefix("smartreader_reader_relay_on{") }
            #expect(relayLines.count == 3, "\(relayLines)")
            #expect(metrics.contains(#"smartreader_reader_relay_on{device="DA1275B0",relay="1"} 1"#), "\(relayLines)")
            #expect(metrics.contains(#"smartreader_reader_relay_on{device="DA1275B0",relay="3"} 0"#), "\(relayLines)")

            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }
}

import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// A backend's commands on rdr/cmd, through a real mosquitto: validated as the vendor documents
/// them, kept as the reader's indicator state in `status`, and handed to the operator's hook.
@Suite("commands on rdr/cmd against a real mosquitto")
struct ReaderCommandTests {
    @Test("status shows what commands told the outputs; the hook hears each valid one; a hanging hook is killed, tags keep flowing")
    func commandsStatusAndHook() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let heard = fixture.directory + "/hook-heard.txt"
            let hook = fixture.directory + "/hook.sh"
            // Writes each command on a line; hangs on the one beep of 4242 ms, to be killed at its timeout.
            try """
            #!/bin/sh
            input=$(cat)
            printf '%s\\n' "$input" >> \(heard)
            case "$input" in *'"Buzzer":4242'*) exec sleep 60 ;; esac
            """.write(toFile: hook, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: hook)
            let observer = try await fixture.watch()
            let reader = try PseudoTerminal(linkedAt: fixture.directory + "/ttyACM6")
            defer { reader.close() }
            let daemon = try fixture.spawn(
                binary,
                [
                    "run", "--state-dir", state.path, "--reader", "serial:\(reader.path)?protocol=lines",
                    "--command-hook", hook, "--command-hook-timeout", "5",
                ])
            try await observer.waitFor("STATUS") { !$0.payloads(onTopicEndingWith: "DA1275B0/status").isEmpty }
            let control = try fixture.identity(role: .control, cn: "control-it")
            func publish(_ command: String) async throws {
                let sent = try await runTool(
                    "mosquitto_pub",
                    fixture.tlsArguments(prefix: control, clientID: "backend")
                        + ["-t", "springcard/springcore/DA1275B0/rdr/cmd", "-m", command, "-q", "1"])
                #expect(sent.status == 0, "\(sent.output)")
            }
            try await publish("$SCCMD;LEDS=92929292;BUZZ=0064")
            try await publish(#"{"Relay":true}"#)
            try await publish(#"{"Sequence":96,"Leds":"92929292"}"#)
            try await publish(#"{"Buzzer":4242}"#)
            try await daemon.waitFor("the hanging hook to start") { _ in hookLines(heard).count == 3 }

            try await daemon.waitUntilReading(reader)
            reader.write(Array("AB000001\r\n".utf8))
            try await observer.waitFor("a tag event while the hook hangs") { !$0.payloads(onTopicEndingWith: "rdr/evt").isEmpty }
            #expect(!daemon.lines.contains { $0.contains("killed") }, "the event waited for the hook: \(daemon.lines)")

            try await publish("$SCCMD;SEQ=60")
            try await daemon.waitFor("the hook killed at its timeout") { $0.lines.contains { $0.contains("killed") } }
            try await daemon.waitFor("the command after it") { _ in hookLines(heard).count == 4 }
            #expect(
                hookLines(heard) == [
                    #"{"Leds":"92929292","Buzzer":100}"#, #"{"Relays":[true]}"#, #"{"Buzzer":4242}"#, #"{"Sequence":"60"}"#,
                ])

            let answer = try await runTool(binary, ["status", "--state-dir", state.path, "--json"])
            let health = try DeviceHealth.decode(json: Array(answer.output.utf8))
            let indicators = try #require(health.indicators, "\(answer.output)")
            #expect(indicators.leds == "92929292")
            #expect(indicators.lastSequence == "60")
            #expect(indicators.lastBuzzerMilliseconds == 4242)
            #expect(indicators.relays == [.init(on: true)])
            #expect(indicators.commandsApplied == 4 && indicators.commandsRefused == 1)
            #expect(indicators.lastRefusal?.contains("sequence cannot be sent with LEDs") == true, "\(indicators)")
            let text = try await runTool(binary, ["status", "--state-dir", state.path]).output
            #expect(text.contains("LEDs 92929292") && text.contains("relay 1 on"), "\(text)")

            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }
}

private func hookLines(_ path: String) -> [String] {
    ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
}

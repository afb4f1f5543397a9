import Foundation
import Gateway
import TestSupport
import Testing

@Test("at trace level, in text and JSON, the logs of a replay never hold the MQTT password or the private key")
func logsHoldNoSecrets() async throws {
    try await BrokerFixture.with { fixture in
        let state = try fixture.provision()
        for (name, value) in [("mqtt.login", "device-login"), ("mqtt.password", "S3CRET-PASSWD-42")] {
            let set = try await runTool(binary, ["config", "set", "--state-dir", state.path, name, value])
            #expect(set.status == 0, "\(set.output)")
        }
        let trace = fixture.directory + "/one.jsonl"
        try #"{"t":0,"TagId":"01020304","Move":"Insert"}"#.write(toFile: trace, atomically: true, encoding: .utf8)
        let key = try String(contentsOfFile: try DeviceEnrolment(state: state).keyPath, encoding: .utf8)
        let keyBody = key.split(separator: "\n")[1]
        for format in ["text", "json"] {
            let replay = try await runTool(
                binary, ["replay", trace, "--state-dir", state.path, "--log-level", "trace", "--log-format", format])
            #expect(replay.output.contains("booting"), "the logs were written: \(replay.output)")
            #expect(!replay.output.contains("S3CRET-PASSWD-42") && !replay.output.contains(keyBody), "\(format): \(replay.output)")
        }
    }
}

import Foundation
import Gateway
import SpringCore
import TagReaders
import TestSupport
import Testing

/// 02A1 byte 1 (factory 0A1E: the same tag is not reported again within 3 s; springcard/springcore-xmlfiles
/// config/springpark.xml) judged on a replay's trace time: `--fast` publishes what the original reading would have.
@Suite("replay on trace time against a real mosquitto")
struct ReplayTraceTimeTests {
    @Test("replay --fast: a tag read at 0, 10 and 60 s is reported 3 times; one read at 0, 1 and 2 s once")
    func fastReplayKeepsTraceTime() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let trace = fixture.directory + "/same-tag.jsonl"
            let readings: [(String, Int)] = [
                ("04A1B2C3D4E5F6", 0), ("04000000000001", 0), ("04000000000001", 1), ("04000000000001", 2),
                ("04A1B2C3D4E5F6", 10), ("04A1B2C3D4E5F6", 60),
            ]
            let lines = readings.map { tag, second in
                Trace.line(for: TagEvent(tagID: tag, protocolName: "NFC-A", move: .insert), at: .seconds(second))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)
            let observer = try await fixture.watch()
            let replay = try await runTool(binary, ["replay", "--state-dir", state.path, "--fast", trace])
            #expect(replay.status == 0, "\(replay.output)")
            try await observer.waitFor("4 events") { $0.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").count >= 4 }
            try await Task.sleep(for: .milliseconds(300))
            let events = observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt")
            #expect(events.filter { $0.contains(#""TagId":"04A1B2C3D4E5F6""#) }.count == 3, "\(events)")
            #expect(events.filter { $0.contains(#""TagId":"04000000000001""#) }.count == 1, "\(events)")
        }
    }
}

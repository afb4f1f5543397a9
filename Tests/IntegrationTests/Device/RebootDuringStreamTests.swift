import Foundation
import TestSupport
import Testing

/// A reboot is the reference's clean shutdown: STATUS `offline`, then DISCONNECT, so the broker
/// publishes no Last Will, and nothing of the old boot follows its goodbye. Found by a hostile
/// review: events went out after `offline`, and the close cut answers off, which published the Will.
@Suite("reboots while events stream, against a real mosquitto")
struct RebootDuringStreamTests {
    @Test("three pushes during a 20,000-event stream: every event arrives, none after an offline before the next META, no Last Will")
    func rebootsDuringStream() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let trace = (fixture.directory as NSString).appendingPathComponent("stream.jsonl")
            let lines = (0..<20_000).map { String(format: #"{"t":0,"TagId":"04%012X","Move":"Insert","Protocol":"NFC-A"}"#, $0) }
            try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--trace", trace, "--fast"])
            try await observer.waitFor("the first events") { $0.payloads(onTopicEndingWith: "/rdr/evt").count > 100 }
            for label in ["P", "Q", "R"] {
                let push = (fixture.directory as NSString).appendingPathComponent("label-\(label).json")
                try #"{"config": {"01.s": "gate-\#(label)"}}"#.write(toFile: push, atomically: true, encoding: .utf8)
                let pushed = try await runTool(binary, ["config", "push", push, "--state-dir", state.path, "--no-load-defaults"])
                #expect(pushed.status == 0, "\(pushed.output)")
            }
            try await observer.waitFor("every event", timeout: .seconds(60)) {
                Set($0.payloads(onTopicEndingWith: "/rdr/evt")).count == 20_000
            }
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)

            var afterGoodbye = 0
            var saidOffline = false
            for line in observer.lines {
                if line.contains("/status ") && line.contains(#""State":"offline""#) { saidOffline = true }
                if line.contains("/meta ") { saidOffline = false }
                if line.contains("/rdr/evt ") && saidOffline { afterGoodbye += 1 }
            }
            #expect(afterGoodbye == 0, "events after STATUS offline and before the next boot's META")
            #expect(!observer.lines.contains { $0.contains("offline,dead") }, "the broker published the Last Will")
            #expect(observer.payloads(onTopicEndingWith: "/meta").count == 4, "a META for each boot")
        }
    }
}

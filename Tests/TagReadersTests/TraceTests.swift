import Foundation
import Testing

@testable import TagReaders

@Test("a trace parses: comments and blank lines skipped, defaults applied")
func traceParses() throws {
    let text = """
        # a comment
        {"t":0,"TagId":"047dae02c84080","Move":"Insert","TagData":"00","TagDetails":"NTAG213"}

        {"t":1.25,"TagId":"DA1275B0","Protocol":"NFC-B","Move":"Insert,Remove","RSSI":-40,"Interface":"125k"}
        """
    let trace = try Trace.parse(Data(text.utf8), file: "t.jsonl")
    #expect(trace.entries.count == 2)
    #expect(
        trace.entries[0].event
            == TagEvent(tagID: "047DAE02C84080", protocolName: "NFC-A", move: .insert, tagData: "00", tagDetails: "NTAG213"))
    #expect(trace.entries[1].offset == .milliseconds(1250))
    #expect(trace.entries[1].event == TagEvent(tagID: "DA1275B0", protocolName: "NFC-B", interface: "125k", rssi: -40, move: .insertRemove))
}

private let badOffset = "\"t\" must be a number of seconds from 0 to 1000000000"

@Test(
    "a malformed trace line is reported with its line number",
    arguments: [
        ("{\"t\":0,\"TagId\":\"01\",\"Move\":\"Insert\"}\nnot json", TraceError.invalid(file: "t", line: 2, reason: "not a JSON object")),
        ("{\"t\":0,\"Move\":\"Insert\"}", .invalid(file: "t", line: 1, reason: "\"TagId\" is missing")),
        (
            "{\"t\":0,\"TagId\":\"0G\",\"Move\":\"Insert\"}",
            .invalid(file: "t", line: 1, reason: "\"TagId\" must be hex digits, an even number of them")
        ),
        ("{\"t\":0,\"TagId\":\"01\"}", .invalid(file: "t", line: 1, reason: "\"Move\" is missing")),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"In\"}",
            .invalid(file: "t", line: 1, reason: "\"Move\" must be Insert, Remove or Insert,Remove, not \"In\"")
        ),
        ("{\"TagId\":\"01\",\"Move\":\"Insert\"}", .invalid(file: "t", line: 1, reason: badOffset)),
        ("{\"t\":-1,\"TagId\":\"01\",\"Move\":\"Insert\"}", .invalid(file: "t", line: 1, reason: badOffset)),
        ("{\"t\":1e16,\"TagId\":\"01\",\"Move\":\"Insert\"}", .invalid(file: "t", line: 1, reason: badOffset)),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"Insert\"}\n{\"t\":1000000000.5,\"TagId\":\"01\",\"Move\":\"Remove\"}",
            .invalid(file: "t", line: 2, reason: badOffset)
        ),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"Insert\",\"RSSI\":1e300}",
            .invalid(file: "t", line: 1, reason: "\"RSSI\" must be an integer")
        ),
        (
            "{\"t\":2,\"TagId\":\"01\",\"Move\":\"Insert\"}\n{\"t\":1,\"TagId\":\"01\",\"Move\":\"Remove\"}",
            .invalid(
                file: "t", line: 2, reason: "\"t\" is 1.0 seconds, earlier than the line before (2.0 seconds); lines must be in time order")
        ),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"\(String(repeating: "In\\u001b", count: 10_000))\"}",
            .invalid(
                file: "t", line: 1,
                reason:
                    "\"Move\" must be Insert, Remove or Insert,Remove, not \"In\\u{1B}In\\u{1B}In\\u{1B}In\\u{1B}In\\u{1B}In\\u{1B}In\\u{1B}In\\u{1B}\"…"
            )
        ),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"Insert\",\"RSSI\":\"x\"}",
            .invalid(file: "t", line: 1, reason: "\"RSSI\" must be an integer")
        ),
        (
            "{\"t\":0,\"TagId\":\"01\",\"Move\":\"Insert\",\"TagData\":5}",
            .invalid(file: "t", line: 1, reason: "\"TagData\" must be a string")
        ),
    ])
func traceErrors(text: String, error: TraceError) {
    #expect(throws: error) { try Trace.parse(Data(text.utf8), file: "t") }
}

@Test("replay at a speed keeps the trace's timing; fast replay ignores it")
func replayTiming() async throws {
    let trace = Trace(entries: [
        Trace.Entry(offset: .zero, event: TagEvent(tagID: "01", protocolName: "NFC-A", move: .insert)),
        Trace.Entry(offset: .milliseconds(400), event: TagEvent(tagID: "02", protocolName: "NFC-A", move: .remove)),
    ])
    let clock = ContinuousClock()
    var seen: [String] = []
    let timed = await clock.measure {
        for await event in TraceReplaySource(trace: trace, speed: 2) { seen.append(event.tagID) }
    }
    #expect(seen == ["01", "02"])
    #expect(timed >= .milliseconds(200), "400 ms at speed 2 lasts at least 200 ms")
    var fastCount = 0
    for await _ in TraceReplaySource(trace: trace, speed: nil) { fastCount += 1 }
    #expect(fastCount == 2)
}

@Test("the latest offset a trace may have is kept exactly")
func longestTraceOffset() throws {
    let trace = try Trace.parse(Data(#"{"t":1000000000,"TagId":"01","Move":"Insert"}"#.utf8), file: "t")
    #expect(trace.entries.map(\.offset) == [.seconds(1_000_000_000)])
}

@Test("a speed outside the accepted range is clamped, so the longest trace at any speed cannot overflow")
func replaySpeedClamped() async throws {
    let longest = Trace(entries: [
        Trace.Entry(offset: .zero, event: TagEvent(tagID: "01", protocolName: "NFC-A", move: .insert)),
        Trace.Entry(offset: .seconds(1_000_000_000), event: TagEvent(tagID: "02", protocolName: "NFC-A", move: .remove)),
    ])
    #expect(TraceReplaySource(trace: longest, speed: 1e-300).speed == TraceReplaySource.speeds.lowerBound)
    #expect(TraceReplaySource(trace: longest, speed: .infinity).speed == TraceReplaySource.speeds.upperBound)
    #expect(TraceReplaySource(trace: longest, speed: -.nan).speed == 1)
    // The first event is due at once; the second, 31 years away, is only waited for until cancelled.
    let task = Task {
        var seen: [String] = []
        for await event in TraceReplaySource(trace: longest, speed: 1e-300) { seen.append(event.tagID) }
        return seen
    }
    try await Task.sleep(for: .milliseconds(100))
    task.cancel()
    #expect(await task.value == ["01"])
}

@Test("a trace URI's speed must be 0 or inside the accepted range", arguments: ["1e-300", "-1", "nan", "inf", "1e7"])
func traceURISpeedRefused(speed: String) {
    #expect(throws: ReaderURIError.self) { try ReaderURI(parsing: "trace:/tmp/x.jsonl?speed=\(speed)") }
}

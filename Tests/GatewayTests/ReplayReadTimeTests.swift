import SpringCore
import TagReaders
import Testing

@testable import Gateway

// 02A1 factory 0A1E (springcard/springcore-xmlfiles config/springpark.xml): byte 1, 3 s before the
// same tag is reported again. A replay is judged on its trace time, at any speed.

private func reports(_ offsets: [Int], speed: Double?) async throws -> Int {
    let trace = Trace(
        entries: offsets.map { .init(offset: .seconds($0), event: TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert)) })
    let reporter = ReadReporter(
        ReadReporting(
            features: try SmartReaderFeatures(bytes: try #require(Hex.decode("0003000200"))),
            delays: try ReadDelaysRegister(bytes: try #require(Hex.decode("0A1E")))))
    var count = 0
    for await event in TraceReplaySource(trace: trace, speed: speed) { count += reporter.reports(for: event).count }
    return count
}

@Test("a replay's events carry their trace time: the 02A1 hold-off counts trace seconds, not wall-clock ones", arguments: [nil, 1000.0])
func holdOffOnTraceTime(speed: Double?) async throws {
    #expect(try await reports([0, 10, 60], speed: speed) == 3)
    #expect(try await reports([0, 1, 2], speed: speed) == 1)
}

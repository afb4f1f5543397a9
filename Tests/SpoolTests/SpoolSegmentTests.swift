import Foundation
import GRDB
import TestSupport
import Testing

@testable import Spool

@Test("a commit is one row per 1,024 events; acknowledged events are bits until their whole segment goes; ids go on after")
func segmentsSettleByBits() throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    let read = Date(timeIntervalSince1970: 1_764_000_000)
    let events = (1...2500).map { OutboxEvent(id: UInt64($0), topic: "t/\($0 % 7)", payload: Array("e\($0)".utf8), stored: read) }
    let store = try SpoolStore(path: path)
    try store.commit(SpoolCommit(inserts: events, deletes: [], losses: SpoolLosses()))
    func rows(_ table: String) throws -> Int {
        try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? -1 }
    }
    #expect(try rows("segments") == 3)

    // Scattered in the first two segments, and the whole of the third.
    let acknowledged = Set(events.map(\.id).filter { $0 % 3 == 0 || $0 > 2048 })
    try store.commit(SpoolCommit(inserts: [], deletes: Array(acknowledged), losses: SpoolLosses()))
    #expect(try rows("segments") == 2 && rows("segment_settled") == 2)
    let left = events.filter { !acknowledged.contains($0.id) }
    let reopened = try SpoolStore(path: path).contents()
    #expect(reopened.events == left, "what is left, in order, byte for byte")
    let summary = try SpoolStore.openForReading(path: path)?.summary()
    #expect(summary?.depth == left.count && summary?.bytes == left.reduce(0) { $0 + $1.size } && summary?.oldestStored == read)

    // A store that was never asked for its contents settles the same segments.
    try SpoolStore(path: path).commit(SpoolCommit(inserts: [], deletes: left.map(\.id), losses: SpoolLosses()))
    #expect(try rows("segments") == 0 && rows("segment_settled") == 0)
    let empty = try SpoolStore(path: path).contents()
    #expect(empty.events.isEmpty && empty.nextID == 2501, "ids are never given twice, though no row holds 2500 any more")
}

@Test("a sequence below the end of a segment whose last events are acknowledged (a tampered file): new ids start past the segment")
func sequenceBelowSegmentEnd() async throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    do {
        let events = (1...10).map { OutboxEvent(id: UInt64($0), topic: "t", payload: [UInt8($0)], stored: Date()) }
        let store = try SpoolStore(path: path)
        try store.commit(SpoolCommit(inserts: events, deletes: [], losses: SpoolLosses()))
        try store.commit(SpoolCommit(inserts: [], deletes: [8, 9, 10], losses: SpoolLosses()))
    }
    try await DatabaseQueue(path: path).write { try $0.execute(sql: "DELETE FROM sqlite_sequence") }
    let outbox = try Outbox(store: SpoolStore(path: path))
    let id = await outbox.append(topic: "t", payload: [11])
    #expect(id == 11, "not 8: that id is in a segment still on disk")
    await outbox.flush()
    #expect(try SpoolStore(path: path).contents().events.map(\.id) == Array(1...7) + [11])
}

import Foundation
import Spool
import TestSupport
import Testing

@Test("the spool is SQLite in WAL mode with synchronous FULL: a committed event survives a crash and a power cut")
func durabilitySettings() throws {
    let store = try SpoolStore(path: temporaryDirectory("spool") + "/spool.sqlite")
    let settings = try store.durabilitySettings()
    #expect(settings.journal == "wal")
    #expect(settings.synchronous == 2, "2 is FULL")
}

@Test("events stay on disk until acknowledged; a reopened spool hands out what is left first, in order")
func survivesReopening() async throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    do {
        let outbox = try Outbox(store: SpoolStore(path: path))
        for index in 0..<5 { try await outbox.append(topic: "t", payload: [UInt8(index)]) }
        let taken = await outbox.nextBatch(limit: 3)
        outbox.acknowledge(taken[0].id)
        outbox.acknowledge(taken[2].id)
        outbox.flushAcknowledged()
        // No close(): the process "dies" here with events 1, 3 and 4 unacknowledged.
    }
    let reopened = try Outbox(store: SpoolStore(path: path))
    #expect(reopened.depth == 3)
    try await reopened.append(topic: "t", payload: [9])
    let batch = await reopened.nextBatch(limit: 10)
    #expect(batch.map(\.payload) == [[1], [3], [4], [9]])
    #expect(Set(batch.map(\.id)).count == 4, "ids stay unique across restarts")
    for event in batch { reopened.acknowledge(event.id) }
    await reopened.drained()
    #expect(try SpoolStore(path: path).pending().isEmpty)
}

@Test("a full spool with drop-oldest drops the oldest waiting events and counts them exactly")
func dropOldest() async throws {
    let outbox = try Outbox(store: SpoolStore(path: temporaryDirectory("spool") + "/spool.sqlite"), capacity: 3, policy: .dropOldest)
    let first = try await outbox.append(topic: "t", payload: [0])
    _ = await outbox.nextBatch(limit: 1)  // event 0 is in flight: never dropped
    for index in 1..<8 { try await outbox.append(topic: "t", payload: [UInt8(index)]) }
    #expect(outbox.dropped == 5)
    #expect(await outbox.nextBatch(limit: 10).map(\.payload) == [[6], [7]])
    outbox.acknowledge(first)
    #expect(outbox.depth == 2)
}

@Test("closing keeps unsent events on disk rather than dropping them")
func closeKeepsEvents() async throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    let outbox = try Outbox(store: SpoolStore(path: path))
    for index in 0..<3 { try await outbox.append(topic: "t", payload: [UInt8(index)]) }
    let inFlight = await outbox.nextBatch(limit: 2)
    outbox.close()
    #expect(outbox.giveBack(inFlight), "a durable outbox keeps them")
    #expect(try SpoolStore(path: path).pending().map(\.event.payload) == [[0], [1], [2]])
}

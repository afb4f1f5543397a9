import Foundation
import TestSupport
import Testing

@testable import Spool

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
        for index in 0..<5 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
        var taken: [OutboxEvent] = []
        while taken.count < 3 { taken += await outbox.nextBatch(limit: 3 - taken.count) }
        outbox.acknowledge(taken[0].id)
        outbox.acknowledge(taken[2].id)
        await outbox.flush()
        // No close(): the process "dies" here with events 1, 3 and 4 unacknowledged.
    }
    let reopened = try Outbox(store: SpoolStore(path: path))
    #expect(reopened.depth == 3)
    await reopened.append(topic: "t", payload: [9])
    var batch: [OutboxEvent] = []
    while batch.count < 4 { batch += await reopened.nextBatch(limit: 10) }
    #expect(batch.map(\.payload) == [[1], [3], [4], [9]])
    #expect(batch.map(\.id) == [2, 4, 5, 6], "ids are never reused, even those of acknowledged events")
    for event in batch { reopened.acknowledge(event.id) }
    await reopened.drained()
    #expect(try SpoolStore(path: path).summary().depth == 0)
}

@Test("a full spool with drop-oldest drops the oldest waiting events, counts them exactly, and keeps the count on disk")
func dropOldest() async throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    let outbox = try Outbox(store: SpoolStore(path: path), limits: SpoolLimits(maximumEvents: 3, whenFull: .dropOldest))
    let first = await outbox.append(topic: "t", payload: [0])
    _ = await outbox.nextBatch(limit: 1)  // event 0 is in flight: never dropped
    for index in 1..<8 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    #expect(outbox.dropped == 5)
    var rest: [OutboxEvent] = []
    while rest.count < 2 { rest += await outbox.nextBatch(limit: 10) }
    #expect(rest.map(\.payload) == [[6], [7]])
    outbox.acknowledge(first)
    #expect(outbox.depth == 2)
    await outbox.flush()
    let summary = try SpoolStore(path: path).summary()
    #expect(summary.depth == 2 && summary.losses == SpoolLosses(dropped: 5, expired: 0))
    #expect(try Outbox(store: SpoolStore(path: path)).dropped == 5, "the count survives a restart")
}

@Test("the byte bound holds the reader back like the count bound")
func byteBound() async throws {
    // Each event is 1 byte of topic and 4 of payload: two fit in 10 bytes.
    let outbox = try Outbox(
        store: SpoolStore(path: temporaryDirectory("spool") + "/spool.sqlite"), limits: SpoolLimits(maximumEvents: 100, maximumBytes: 10))
    await outbox.append(topic: "t", payload: [1, 1, 1, 1])
    await outbox.append(topic: "t", payload: [2, 2, 2, 2])
    let third = Task { await outbox.append(topic: "t", payload: [3, 3, 3, 3]) }
    try? await Task.sleep(for: .milliseconds(50))
    #expect(outbox.report.bytes == 10 && outbox.depth == 2, "the third append waits")
    var sent: [OutboxEvent] = []
    while sent.count < 2 { sent += await outbox.nextBatch(limit: 10) }
    for event in sent { outbox.acknowledge(event.id) }
    _ = await third.value
    #expect(outbox.report.bytes == 5)
}

@Test("events older than the age bound are dropped unsent and counted as expired")
func ageBound() {
    var queue = OutboxQueue(limits: SpoolLimits(maximumAge: .seconds(60)), durable: false)
    let start = Date(timeIntervalSince1970: 1_000_000)
    _ = queue.add(topic: "t", payload: [1], now: start)
    _ = queue.add(topic: "t", payload: [2], now: start.addingTimeInterval(30))
    queue.expire(now: start.addingTimeInterval(61))
    #expect(queue.losses == SpoolLosses(dropped: 0, expired: 1))
    #expect(queue.takeBatch(limit: 10).map(\.payload) == [[2]])
    #expect(queue.report.depth == 1)
}

@Test("staged events reach the publisher only once committed, and a failed commit keeps them in order")
func groupCommit() throws {
    var queue = OutboxQueue(limits: .standard, durable: true)
    for index in 0..<3 { _ = queue.add(topic: "t", payload: [UInt8(index)], now: Date()) }
    #expect(queue.takeBatch(limit: 10).isEmpty, "nothing is handed out before it is on disk")
    let first = queue.takeCommit()
    let failed = try #require(first)
    #expect(failed.inserts.count == 3, "one commit takes every staged event")
    _ = queue.add(topic: "t", payload: [3], now: Date())
    queue.commitFailed(failed)
    let taken = queue.takeCommit()
    let retried = try #require(taken)
    #expect(retried.inserts.map(\.payload) == [[0], [1], [2], [3]])
    queue.committed(retried)
    #expect(queue.takeBatch(limit: 10).map(\.payload) == [[0], [1], [2], [3]])
    #expect(queue.takeCommit() == nil)
}

@Test("closing commits what is staged and keeps unsent events on disk rather than dropping them")
func closeKeepsEvents() async throws {
    let path = temporaryDirectory("spool") + "/spool.sqlite"
    let outbox = try Outbox(store: SpoolStore(path: path))
    for index in 0..<3 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    let inFlight = await outbox.nextBatch(limit: 2)
    outbox.close()
    #expect(outbox.giveBack(inFlight), "a durable outbox keeps them")
    #expect(try SpoolStore(path: path).contents().events.map(\.payload) == [[0], [1], [2]])
}

@Test("sizes and ages read as an operator writes them")
func limitParsing() {
    #expect(SpoolLimits.parseBytes("16MiB") == 16 << 20)
    #expect(SpoolLimits.parseBytes("64k") == 64 << 10)
    #expect(SpoolLimits.parseBytes("512") == 512)
    #expect(SpoolLimits.parseBytes("-1") == nil && SpoolLimits.parseBytes("lots") == nil)
    #expect(SpoolLimits.parseAge("7d") == .some(.seconds(7 * 86_400)))
    #expect(SpoolLimits.parseAge("90") == .some(.seconds(90)))
    #expect(SpoolLimits.parseAge("none") == .some(nil))
    #expect(SpoolLimits.parseAge("soon") == nil)
}

@Test("closing while a commit is under way still hands its events to the publisher before saying the outbox is done")
func closeDuringCommit() async throws {
    let directory = temporaryDirectory("spool")
    // The race needs the publisher to wake between a commit taking events and handing them over; rounds make it likely.
    for round in 0..<50 {
        let outbox = try Outbox(store: SpoolStore(path: "\(directory)/spool-\(round).sqlite"))
        let publisher = Task {
            var delivered = 0
            while true {
                let batch = await outbox.nextBatch(limit: 16)
                if batch.isEmpty { return delivered }
                delivered += batch.count
                for event in batch { outbox.acknowledge(event.id) }
            }
        }
        for index in 0..<3 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
        outbox.close()
        let delivered = await publisher.value
        #expect(delivered == 3, "round \(round): the publisher stopped with \(3 - delivered) events unsent")
        if delivered != 3 { return }
    }
}

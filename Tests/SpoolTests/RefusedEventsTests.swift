import Foundation
import GRDB
import TestSupport
import Testing

@testable import Spool

/// Events 1...count appended, committed and handed out, as the publisher would have them.
private func sent(_ count: Int, through outbox: Outbox) async -> [OutboxEvent] {
    for index in 1...count { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    var batch: [OutboxEvent] = []
    while batch.count < count { batch += await outbox.nextBatch(limit: count - batch.count) }
    return batch
}

@Suite("events the broker refused are held in the spool, not lost")
struct RefusedEventsTests {
    @Test("a refused event stays on disk, counted, across a reopen, and is not sent again by itself")
    func refusedKeptAcrossReopen() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        do {
            let outbox = try Outbox(store: SpoolStore(path: path))
            let batch = await sent(3, through: outbox)
            outbox.acknowledge(batch[0].id)
            outbox.refuse(batch[1])
            outbox.refuse(batch[2])
            await outbox.drained()
            #expect(outbox.report.refused == 2 && outbox.depth == 0, "refused events leave the count but are held")
        }
        let summary = try SpoolStore(path: path).summary()
        #expect(summary.refused == 2 && summary.depth == 0 && summary.losses.refused == 2)
        #expect(summary.summary.contains("2 events REFUSED are held"))

        let reopened = try Outbox(store: SpoolStore(path: path))
        #expect(reopened.report.refused == 2 && reopened.depth == 0)
        await reopened.append(topic: "t", payload: [9])
        let next = await reopened.nextBatch(limit: 10)
        #expect(next.map(\.payload) == [[9]], "a restart does not resend what the broker refused")
        #expect(next.map(\.id) == [4], "ids of held events are not reused")
    }

    @Test("refused events are bounded by the spool's event limit: the oldest go, counted, on disk too")
    func refusedBounded() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        let outbox = try Outbox(store: SpoolStore(path: path), limits: SpoolLimits(maximumEvents: 3))
        // Three in flight fill the spool: refused, they leave room for the next three.
        for event in await sent(3, through: outbox) { outbox.refuse(event) }
        for event in await sent(3, through: outbox).prefix(2) { outbox.refuse(event) }
        #expect(outbox.report.refused == 3)
        #expect(outbox.report.losses.refusedDropped == 2 && outbox.report.losses.refused == 5)
        await outbox.flush()
        let contents = try SpoolStore(path: path).contents()
        #expect(contents.refused.map(\.id) == [3, 4, 5], "the newest three are held")
        #expect(contents.events.map(\.id) == [6], "the one still in flight waits as before")
        #expect(contents.losses.refusedDropped == 2)
    }

    @Test("retry puts the refused events back in line, before newer ones, in order; delivered, they leave the disk")
    func retryInOrder() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        let outbox = try Outbox(store: SpoolStore(path: path))
        let batch = await sent(2, through: outbox)
        outbox.refuse(batch[1])
        outbox.refuse(batch[0])
        await outbox.append(topic: "t", payload: [3])
        await outbox.flush()
        #expect(outbox.retryRefused() == 2)
        await outbox.flush()
        #expect(try SpoolStore(path: path).summary().refused == 0, "the refused mark is cleared on disk")
        var again: [OutboxEvent] = []
        while again.count < 3 { again += await outbox.nextBatch(limit: 10) }
        #expect(again.map(\.payload) == [[1], [2], [3]])
        for event in again { outbox.acknowledge(event.id) }
        await outbox.drained()
        let summary = try SpoolStore(path: path).summary()
        #expect(summary.depth == 0 && summary.refused == 0 && summary.losses.refused == 2)
    }

    @Test("discard lets the refused events go and counts them, on disk")
    func discardCounts() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        let outbox = try Outbox(store: SpoolStore(path: path))
        for event in await sent(2, through: outbox) { outbox.refuse(event) }
        #expect(outbox.discardRefused() == 2)
        await outbox.flush()
        let summary = try SpoolStore(path: path).summary()
        #expect(summary.refused == 0 && summary.losses.discarded == 2 && summary.losses.refused == 2)
        #expect(try Outbox(store: SpoolStore(path: path)).report.losses.discarded == 2, "the count survives a restart")
    }

    @Test("with no daemon, the file itself: retry clears the marks, discard deletes and counts")
    func offlineActions() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        do {
            let outbox = try Outbox(store: SpoolStore(path: path))
            for event in await sent(3, through: outbox) { outbox.refuse(event) }
            await outbox.flush()
        }
        let store = try SpoolStore(path: path)
        #expect(try store.retryRefused() == 3)
        #expect(try store.summary().depth == 3)
        let outbox = try Outbox(store: store)
        let first = await outbox.nextBatch(limit: 1)
        #expect(first.map(\.id) == [1], "the retried events go out first")
        for event in first { outbox.refuse(event) }
        await outbox.flush()
        #expect(try store.discardRefused() == 1)
        #expect(try store.summary().losses.discarded == 1)
    }

    @Test("a spool file from before refused events were kept is migrated, its events kept")
    func migratesOldSchema() async throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        do {
            let old = try DatabaseQueue(path: path)
            try await old.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, payload BLOB NOT NULL, stored REAL NOT NULL);
                        CREATE TABLE losses (reason TEXT PRIMARY KEY, count INTEGER NOT NULL);
                        INSERT INTO events (topic, payload, stored) VALUES ('t', x'01', unixepoch()), ('t', x'02', unixepoch());
                        INSERT INTO losses VALUES ('dropped', 4);
                        """)
            }
        }
        #expect(try SpoolStore.openForReading(path: path)?.summary().depth == 2, "a reader copes with the old schema")
        let outbox = try Outbox(store: SpoolStore(path: path))
        #expect(outbox.depth == 2 && outbox.dropped == 4)
        var batch: [OutboxEvent] = []
        while batch.count < 2 { batch += await outbox.nextBatch(limit: 10) }
        outbox.refuse(batch[0])
        await outbox.flush()
        #expect(try SpoolStore(path: path).summary().refused == 1)
    }
}

import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

@testable import Spool

/// A flag and a count shared with the reader thread.
private final class ReaderState: Sendable {
    let stop = Atomic<Bool>(false)
    let reads = Atomic<Int>(0)
    let path = Mutex<String?>(nil)
}

@Suite("the spool as two processes share it: the daemon writes, status reads")
struct SpoolAccessTests {
    @Test("a reader polling the spool never makes a starting writer fail (SQLite error 5, database is locked)")
    func readerNeverBreaksWriter() async throws {
        let directory = temporaryDirectory("spool")
        let shared = ReaderState()
        let reader = Thread {
            while !shared.stop.load(ordering: .relaxed) {
                guard let path = shared.path.withLock({ $0 }) else { continue }
                // The reader's own failures (a file half made) are its business; the writer's are the bug.
                if (try? SpoolStore.openForReading(path: path)?.summary()) != nil { shared.reads.add(1, ordering: .relaxed) }
            }
        }
        reader.start()
        defer { shared.stop.store(true, ordering: .relaxed) }
        var failures: [String] = []
        for start in 0..<40 {
            let path = "\(directory)/spool-\(start).sqlite"
            // The file exists before the writer makes its tables: the moment a starting daemon is polled.
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            shared.path.withLock { $0 = path }
            do {
                let store = try SpoolStore(path: path)
                try store.commit(
                    SpoolCommit(inserts: [OutboxEvent(id: 1, topic: "t", payload: [1], stored: Date())], deletes: [], losses: SpoolLosses())
                )
            } catch {
                failures.append("\(error)")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) of 40 starts failed: \(failures.first ?? "")")
        #expect(shared.reads.load(ordering: .relaxed) > 0, "the reader did read meanwhile")
    }

    @Test("a reader creates no spool file, and changes none: not even an empty one a starting daemon has just created")
    func readerChangesNothing() throws {
        let directory = temporaryDirectory("spool")
        let missing = directory + "/spool.sqlite"
        #expect(try SpoolStore.openForReading(path: missing) == nil)
        #expect(!FileManager.default.fileExists(atPath: missing))

        let empty = directory + "/empty.sqlite"
        #expect(FileManager.default.createFile(atPath: empty, contents: nil))
        let report = try SpoolStore.openForReading(path: empty)?.summary()
        #expect(report?.depth == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: empty)[.size] as? Int) == 0, "no tables, no journal mode written")
    }

    @Test("a reader reads a spool whose writer has closed (no WAL files left)")
    func readerAfterWriterClosed() throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        do {
            try SpoolStore(path: path).commit(
                SpoolCommit(inserts: [OutboxEvent(id: 1, topic: "t", payload: [1, 2], stored: Date())], deletes: [], losses: SpoolLosses()))
        }
        let report = try SpoolStore.openForReading(path: path)?.summary()
        #expect(report?.depth == 1 && report?.bytes == 3)
    }

    @Test("a file that is not a database is called corrupt, with how to recover keeping it; it is left in place")
    func corruptSpool() throws {
        let path = temporaryDirectory("spool") + "/spool.sqlite"
        let garbage = Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        #expect(FileManager.default.createFile(atPath: path, contents: garbage))
        let attempts: [() throws -> Void] = [
            { _ = try SpoolStore(path: path) }, { _ = try SpoolStore.openForReading(path: path)?.summary() },
        ]
        for attempt in attempts {
            do {
                try attempt()
                Issue.record("a garbage spool was opened")
            } catch let error as SpoolError {
                guard case .corrupt = error else {
                    Issue.record("expected corrupt, got \(error)")
                    continue
                }
                #expect("\(error)".contains("is corrupt") && "\(error)".contains("mv \(path) \(path).corrupt-"))
                #expect(!"\(error)".contains("check the disk"))
            }
        }
        #expect(FileManager.default.contents(atPath: path) == garbage, "the old file is kept as it was")
    }

    @Test(
        "a spool whose rows were tampered with (wrong types, ids, times or counters out of range, segments cut, overlapping or with foreign bits) is refused as corrupt by the daemon and by status, never a trap"
    )
    func tamperedRowsRefused() throws {
        let tampering = [
            "UPDATE events SET id = -5", "UPDATE events SET payload = 'text'", "UPDATE events SET stored = 'yesterday'",
            "UPDATE events SET stored = -1e308", "UPDATE events SET id = 9223372036854775807",
            "UPDATE sqlite_sequence SET seq = 9223372036854775807", "INSERT INTO losses VALUES ('dropped', 9223372036854775807)",
            "INSERT INTO losses VALUES ('discarded', 9.2e18)", "UPDATE events SET refused = 'x'",
            "UPDATE segments SET first = -5", "UPDATE segments SET count = 0", "UPDATE segments SET count = 3",
            "UPDATE segments SET count = 'two'", "UPDATE segments SET events = 'text'", "UPDATE segments SET events = x'00'",
            "UPDATE segments SET events = events || x'00'", "UPDATE segments SET events = substr(events, 1, length(events) - 1)",
            "UPDATE segments SET events = x'a0c8eb85f3cce1ff' || substr(events, 9)",
            "UPDATE segments SET events = x'000000000000f87f' || substr(events, 9)",
            "INSERT INTO segments SELECT 2, count, events FROM segments", "UPDATE segment_settled SET bits = x'0000'",
            "UPDATE segment_settled SET bits = 2", "INSERT INTO segment_settled VALUES (99, x'00')", "DROP TABLE segment_settled",
            "DROP TABLE segment_settled; CREATE VIEW segment_settled AS SELECT 0 AS first, x'' AS bits WHERE 0; UPDATE segments SET count = -1",
        ]
        for tamper in tampering {
            let path = temporaryDirectory("spool") + "/spool.sqlite"
            let store = try SpoolStore(path: path)
            let events = [1, 2].map {
                OutboxEvent(id: $0, topic: "t", payload: [UInt8($0)], stored: Date(timeIntervalSince1970: 1_764_000_000))
            }
            try store.commit(SpoolCommit(inserts: events, deletes: [], losses: SpoolLosses()))
            // The second refused: a row of its own in `events`, a bit set in its segment.
            try store.commit(SpoolCommit(inserts: [], deletes: [], losses: SpoolLosses(), refusedMarks: [2: true], refusals: [events[1]]))
            #expect(try SpoolStore(path: path).contents().events == [events[0]])
            try DatabaseQueue(path: path).write { try $0.execute(sql: tamper) }
            #expect(throws: SpoolError.self, "\(tamper)") { _ = try SpoolStore(path: path).contents() }
            #expect(throws: SpoolError.self, "status: \(tamper)") { _ = try SpoolStore.openForReading(path: path)?.summary() }
        }
    }
}

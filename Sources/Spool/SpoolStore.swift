import Foundation
import GRDB
import Synchronization

/// The outbox's durable half: every event is in SQLite before it goes to the broker, and leaves
/// only once the broker has acknowledged it (or a spool limit let it go, which is counted here).
/// An event the broker refused stays, marked `refused`, until the operator retries or discards it.
///
/// Durability: WAL journal with `synchronous = FULL`, so a committed event survives a killed
/// process and a power cut (NORMAL would survive the first but may lose the last commits to the
/// second). Commits are grouped by the outbox, so the fsync is paid per group, not per event,
/// and each group is one row (`SpoolSegment`) whose acknowledged events are bits in a small
/// row beside it; the segment goes once all its events are settled. An event the broker
/// refused moves to a row of its own in `events` (which also holds what spools from before
/// segments wrote). A deletion lost to a crash means an event sent again, which at-least-once
/// delivery allows and the event id lets a consumer recognise.
///
/// Two processes meet here: the daemon writes, `smartreader status` reads. Both wait for the
/// other's lock (busy timeout) rather than fail, and a reader opens the file read-only: a health
/// check must never take a lock that could stop the daemon it checks.
public final class SpoolStore: Sendable {
    public let path: String
    private let database: DatabaseQueue
    /// What the segments on disk hold waiting, as the last commit left them; read from disk by
    /// `contents`, or by the first commit of a store whose contents nobody asked for.
    private let index = Mutex<SegmentIndex?>(nil)

    /// How long either side waits for the other's lock: far longer than any commit takes.
    static let busyTimeout: TimeInterval = 10

    /// The writer's store (the daemon's, replay's): the file is created if missing, its tables
    /// made, and a spool from before refused events were kept gains their column.
    public init(path: String) throws(SpoolError) {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(Self.busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        // Created owner-only before SQLite opens it (SQLite gives the WAL and shared-memory files
        // the database's mode): events hold tag IDs.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        if descriptor >= 0 { close(descriptor) }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.writeWithoutTransaction { db in
                // WAL must be set outside a transaction; it persists in the file.
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            // One transaction: `status`, reading meanwhile, sees all the tables or none of them.
            try database.write { db in
                // Made together: one without the other is a damaged file, not one to complete.
                if try db.tableExists("segments") != db.tableExists("segment_settled") {
                    throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: "the spool has one of its two segment tables only")
                }
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS events (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            topic TEXT NOT NULL,
                            payload BLOB NOT NULL,
                            stored REAL NOT NULL,
                            refused REAL
                        );
                        CREATE TABLE IF NOT EXISTS losses (
                            reason TEXT PRIMARY KEY,
                            count INTEGER NOT NULL
                        );
                        CREATE TABLE IF NOT EXISTS segments (
                            first INTEGER PRIMARY KEY,
                            count INTEGER NOT NULL,
                            events BLOB NOT NULL
                        );
                        CREATE TABLE IF NOT EXISTS segment_settled (
                            first INTEGER PRIMARY KEY,
                            bits BLOB NOT NULL
                        );
                        """)
                if try !Self.marksRefusals(db) {
                    try db.execute(sql: "ALTER TABLE events ADD COLUMN refused REAL")
                }
                // The sequence segments advance too (`insertSegments`); SQLite makes its row only
                // at the first insert into `events`.
                try db.execute(
                    sql: """
                        INSERT INTO sqlite_sequence (name, seq) SELECT 'events', 0
                        WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events')
                        """)
            }
        } catch {
            throw SpoolError(path: path, error)
        }
    }

    private init(path: String, database: DatabaseQueue) {
        self.path = path
        self.database = database
    }

    /// A reader's store, for `smartreader status`: read-only, so it never creates the file, its
    /// tables or its journal mode; nil when there is no spool file yet.
    public static func openForReading(path: String) throws(SpoolError) -> SpoolStore? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        do {
            return SpoolStore(path: path, database: try DatabaseQueue(path: path, configuration: configuration))
        } catch {
            throw SpoolError(path: path, error)
        }
    }

    /// The journal mode and synchronous level in force, for the test that proves the choice.
    public func durabilitySettings() throws(SpoolError) -> (journal: String, synchronous: Int) {
        try access { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    /// One transaction, one fsync: new events in as segments (with the ids the outbox gave them),
    /// refused events moved to rows of their own or put back in line, acknowledged ones settled,
    /// losses added to the counters.
    public func commit(_ commit: SpoolCommit) throws(SpoolError) {
        let known = self.index.withLock { $0 }
        let index = try change { db in
            var index = try known ?? Self.readIndex(db)
            try Self.insertSegments(commit.inserts, into: &index, db)
            let now = Date().timeIntervalSince1970
            if !commit.refusals.isEmpty {
                let hold = try db.cachedStatement(
                    sql: """
                        INSERT INTO events (id, topic, payload, stored, refused) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET refused = excluded.refused
                        """)
                for event in commit.refusals {
                    try hold.execute(arguments: [
                        Int64(event.id), event.topic, Data(event.payload), event.stored.timeIntervalSince1970, now,
                    ])
                    _ = index.settle(event.id)
                }
            }
            try Self.forEachChunk(of: commit.retries) { marks, arguments in
                try db.execute(sql: "UPDATE events SET refused = NULL WHERE id IN (\(marks))", arguments: arguments)
            }
            let ownRows = commit.deletes.filter { !index.settle($0) }
            try Self.forEachChunk(of: ownRows) { marks, arguments in
                try db.execute(sql: "DELETE FROM events WHERE id IN (\(marks))", arguments: arguments)
            }
            try Self.write(index.takeChanges(), db)
            try Self.add(commit.losses, db)
            return index
        }
        self.index.withLock { $0 = index }
    }

    private static func insertSegments(_ events: [OutboxEvent], into index: inout SegmentIndex, _ db: Database) throws {
        guard let last = events.last else { return }
        let insert = try db.cachedStatement(sql: "INSERT INTO segments (first, count, events) VALUES (?, ?, ?)")
        for start in stride(from: 0, to: events.count, by: SpoolSegment.maximumEvents) {
            let segment = events[start..<min(start + SpoolSegment.maximumEvents, events.count)]
            let first = segment.first!.id
            // The outbox gives ids in order and commits them in order: a segment is a range.
            precondition(segment.last!.id == first + UInt64(segment.count - 1), "a segment's ids are consecutive")
            try insert.execute(arguments: [Int64(first), segment.count, Data(SpoolSegment.pack(segment))])
            index.add(SegmentIndex.Segment(first: first, count: segment.count))
        }
        // One sequence for both tables: an id is never given twice, even once its segment is gone.
        try db.execute(sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'events'", arguments: [Int64(last.id)])
    }

    private static func write(_ changes: (settled: [UInt64], partly: [SegmentIndex.Segment]), _ db: Database) throws {
        try forEachChunk(of: changes.settled) { marks, arguments in
            try db.execute(sql: "DELETE FROM segments WHERE first IN (\(marks))", arguments: arguments)
            try db.execute(sql: "DELETE FROM segment_settled WHERE first IN (\(marks))", arguments: arguments)
        }
        guard !changes.partly.isEmpty else { return }
        let update = try db.cachedStatement(sql: "INSERT OR REPLACE INTO segment_settled (first, bits) VALUES (?, ?)")
        for segment in changes.partly { try update.execute(arguments: [Int64(segment.first), Data(segment.settled)]) }
    }

    /// With no daemon running: the refused events go back in line, for the next start; returns how many.
    public func retryRefused() throws(SpoolError) -> Int {
        try change { db in
            try db.execute(sql: "UPDATE events SET refused = NULL WHERE refused IS NOT NULL")
            return db.changesCount
        }
    }

    /// With no daemon running: the refused events go, counted as discarded; returns how many.
    public func discardRefused() throws(SpoolError) -> Int {
        try change { db in
            try db.execute(sql: "DELETE FROM events WHERE refused IS NOT NULL")
            let count = db.changesCount
            try Self.add(SpoolLosses(discarded: count), db)
            return count
        }
    }

    /// What the spool holds: for `smartreader status`, while a daemon writes, possibly one still
    /// making the tables. Segments are read to count what still waits in them.
    public func summary() throws(SpoolError) -> SpoolReport {
        try access { db in
            guard try db.tableExists("events") else { return SpoolReport(depth: 0, bytes: 0, oldestStored: nil, losses: SpoolLosses()) }
            try Self.requireWellFormed(db)
            let waiting = try Self.marksRefusals(db) ? "refused IS NULL" : "1"
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) AS count, SUM(length(CAST(topic AS BLOB)) + length(payload)) AS bytes, MIN(stored) AS oldest
                    FROM events WHERE \(waiting)
                    """)
            let refused = waiting == "1" ? 0 : try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE refused IS NOT NULL") ?? 0
            var (depth, bytes, oldest): (Int, Int, Double?) = (row?["count"] ?? 0, row?["bytes"] ?? 0, row?["oldest"])
            _ = try Self.forEachSegmentEvent(db) { _, stored, bytesOf in
                depth += 1
                bytes += bytesOf.topic.count + bytesOf.payload.count
                oldest = min(oldest ?? stored, stored)
            }
            return SpoolReport(
                depth: depth, bytes: bytes, oldestStored: oldest.map(Date.init(timeIntervalSince1970:)), losses: try Self.losses(db),
                refused: refused)
        }
    }

    /// Everything a starting outbox needs: the events left to send and those refused, oldest
    /// first, the next free id (ids are never reused, so a consumer's duplicate check stays
    /// sound), and the loss counters.
    public func contents() throws(SpoolError) -> (events: [OutboxEvent], refused: [OutboxEvent], nextID: UInt64, losses: SpoolLosses) {
        let (contents, index) = try access { db in
            try Self.requireWellFormed(db)
            var (events, refused) = ([OutboxEvent](), [OutboxEvent]())
            for row in try Row.fetchAll(db, sql: "SELECT id, topic, payload, stored, refused FROM events ORDER BY id") {
                let event = OutboxEvent(
                    id: UInt64(row["id"] as Int64), topic: row["topic"], payload: Array(row["payload"] as Data),
                    stored: Date(timeIntervalSince1970: row["stored"]))
                if (row["refused"] as Double?) == nil { events.append(event) } else { refused.append(event) }
            }
            let index = try Self.forEachSegmentEvent(db) { id, stored, bytesOf in
                events.append(
                    OutboxEvent(
                        id: id, topic: String(decoding: bytesOf.topic, as: UTF8.self), payload: Array(bytesOf.payload),
                        stored: Date(timeIntervalSince1970: stored)))
            }
            // Events put back in line after a refusal have rows of their own, among the segments' ids.
            events.sort { $0.id < $1.id }
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
            // Past every id the file holds, whatever its sequence says: a segment's acknowledged
            // tail is in no list above, and a new segment must never overlap it.
            let highest = max(UInt64(max(sequence, 0)), index.end - 1, refused.last?.id ?? 0)
            return ((events, refused, highest + 1, try Self.losses(db)), index)
        }
        self.index.withLock { $0 = index }
        return contents
    }

    private static func readIndex(_ db: Database) throws -> SegmentIndex {
        try requireWellFormed(db)
        return try forEachSegmentEvent(db) { _, _, _ in }
    }

    /// Calls `visit` with the id, time read, topic and payload of each event still waiting in a
    /// segment, in id order; returns the segments as an index. Throws, as corrupt, on a segment
    /// that is not what `commit` writes.
    private static func forEachSegmentEvent(
        _ db: Database, _ visit: (UInt64, Double, (topic: ArraySlice<UInt8>, payload: ArraySlice<UInt8>)) throws -> Void
    ) throws -> SegmentIndex {
        var index = SegmentIndex()
        guard try db.tableExists("segments") else { return index }
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT first, count, events, bits FROM segments LEFT JOIN segment_settled USING (first) ORDER BY first")
        var end: UInt64 = 0
        while let row = try rows.next() {
            let (first, count) = (UInt64(row["first"] as Int64), row["count"] as Int)
            let bytes = [UInt8](row["events"] as Data)
            let segment = SegmentIndex.Segment(first: first, count: count, settled: (row["bits"] as Data?).map { [UInt8]($0) })
            do {
                guard first >= end else { throw SegmentError(first: first, reason: "it overlaps the segment before it") }
                try SpoolSegment.forEachEvent(first: first, count: count, in: bytes) { offset, stored, topic, payload in
                    guard stored.isFinite, (0...latestTime).contains(stored) else {
                        throw SegmentError(first: first, reason: "event \(offset) was read at \(stored) s, out of range")
                    }
                    if !segment.isSettled(offset) { try visit(first + UInt64(offset), stored, (bytes[topic], bytes[payload])) }
                }
            } catch let error as SegmentError {
                throw DatabaseError(resultCode: .SQLITE_CORRUPT, message: error.description)
            }
            end = first + UInt64(count)
            index.add(segment)
        }
        return index
    }

    static func marksRefusals(_ db: Database) throws -> Bool {
        try db.columns(in: "events").contains { $0.name == "refused" }
    }

    private static func losses(_ db: Database) throws -> SpoolLosses {
        guard try db.tableExists("losses") else { return SpoolLosses() }
        let counts = try Row.fetchAll(db, sql: "SELECT reason, count FROM losses").reduce(into: [String: Int]()) {
            $0[$1["reason"]] = $1["count"]
        }
        var losses = SpoolLosses()
        for reason in SpoolLosses.storedReasons { losses[keyPath: reason.counter] = counts[reason.name] ?? 0 }
        return losses
    }

    private static func add(_ losses: SpoolLosses, _ db: Database) throws {
        for reason in SpoolLosses.storedReasons where losses[keyPath: reason.counter] > 0 {
            try db.execute(
                sql: "INSERT INTO losses (reason, count) VALUES (?, ?) ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count",
                arguments: [reason.name, losses[keyPath: reason.counter]])
        }
    }

    /// Runs `body` with `?,?,…` and the ids for each run of at most 500 ids (SQLite's limit on arguments).
    private static func forEachChunk(of ids: [UInt64], _ body: (String, StatementArguments) throws -> Void) throws {
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = ids[start..<min(start + 500, ids.count)]
            try body(Array(repeating: "?", count: chunk.count).joined(separator: ","), StatementArguments(chunk.map { Int64($0) }))
        }
    }

    private func access<T>(_ body: (Database) throws -> T) throws(SpoolError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw SpoolError(path: path, error)
        }
    }

    private func change<T>(_ body: (Database) throws -> T) throws(SpoolError) -> T {
        do {
            return try database.write(body)
        } catch {
            throw SpoolError(path: path, error)
        }
    }
}

public enum SpoolError: Error, Sendable, CustomStringConvertible {
    case database(path: String, reason: String)
    /// SQLite found the file damaged or not a database at all: no disk check will help.
    case corrupt(path: String, reason: String)

    init(path: String, _ error: any Error) {
        let code = (error as? DatabaseError)?.resultCode.primaryResultCode
        self =
            code == .SQLITE_CORRUPT || code == .SQLITE_NOTADB
            ? .corrupt(path: path, reason: "\(error)") : .database(path: path, reason: "\(error)")
    }

    public var description: String {
        switch self {
        case .database(let path, let reason):
            "spool \(path): \(reason); check the disk (space, permissions)"
        case .corrupt(let path, let reason):
            "spool \(path) is corrupt (\(reason)): the events in it cannot be read. Keep it for inspection and start with a new "
                + "one: stop the daemon, `mv \(path) \(path).corrupt-\(Self.stamp())` (and its -wal and -shm files, if any, "
                + "alongside), then start again; a new, empty spool is created"
        }
    }

    private static func stamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withYear, .withMonth, .withDay, .withTime]
        return formatter.string(from: Date())
    }
}

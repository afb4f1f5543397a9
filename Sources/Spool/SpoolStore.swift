import Foundation
import GRDB

/// The outbox's durable half: every event is in SQLite before it goes to the broker, and leaves
/// only once the broker has acknowledged it (or a spool limit let it go, which is counted here).
/// An event the broker refused stays, marked `refused`, until the operator retries or discards it.
///
/// Durability: WAL journal with `synchronous = FULL`, so a committed event survives a killed
/// process and a power cut (NORMAL would survive the first but may lose the last commits to the
/// second). Commits are grouped by the outbox, so the fsync is paid per group, not per event.
/// A deletion lost to a crash means an event sent again, which at-least-once delivery allows
/// and the event id lets a consumer recognise.
///
/// Two processes meet here: the daemon writes, `smartreader status` reads. Both wait for the
/// other's lock (busy timeout) rather than fail, and a reader opens the file read-only: a health
/// check must never take a lock that could stop the daemon it checks.
public final class SpoolStore: Sendable {
    public let path: String
    private let database: DatabaseQueue

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
                        """)
                if try !Self.marksRefusals(db) {
                    try db.execute(sql: "ALTER TABLE events ADD COLUMN refused REAL")
                }
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

    /// One transaction, one fsync: new events in (with the ids the outbox gave them), refused
    /// marks set or cleared, acknowledged ones out, losses added to the counters.
    public func commit(_ commit: SpoolCommit) throws(SpoolError) {
        try change { db in
            if !commit.inserts.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT INTO events (id, topic, payload, stored) VALUES (?, ?, ?, ?)")
                for event in commit.inserts {
                    try insert.execute(arguments: [
                        Int64(event.id), event.topic, Data(event.payload), event.stored.timeIntervalSince1970,
                    ])
                }
            }
            let now = Date().timeIntervalSince1970
            for refused in [true, false] {
                let ids = commit.refusedMarks.filter { $0.value == refused }.map(\.key)
                try Self.forEachChunk(of: ids) { marks, arguments in
                    try db.execute(
                        sql: "UPDATE events SET refused = ? WHERE id IN (\(marks))",
                        arguments: [refused ? now : nil] + arguments)
                }
            }
            try Self.forEachChunk(of: commit.deletes) { marks, arguments in
                try db.execute(sql: "DELETE FROM events WHERE id IN (\(marks))", arguments: arguments)
            }
            try Self.add(commit.losses, db)
        }
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

    /// What the spool holds, without reading payloads: for `smartreader status`, while a daemon
    /// writes, possibly one still making the tables.
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
            let oldest: Double? = row?["oldest"]
            return SpoolReport(
                depth: row?["count"] ?? 0, bytes: row?["bytes"] ?? 0, oldestStored: oldest.map(Date.init(timeIntervalSince1970:)),
                losses: try Self.losses(db), refused: refused)
        }
    }

    /// Everything a starting outbox needs: the events left to send and those refused, oldest
    /// first, the next free id (ids are never reused, so a consumer's duplicate check stays
    /// sound), and the loss counters.
    public func contents() throws(SpoolError) -> (events: [OutboxEvent], refused: [OutboxEvent], nextID: UInt64, losses: SpoolLosses) {
        try access { db in
            try Self.requireWellFormed(db)
            var (events, refused) = ([OutboxEvent](), [OutboxEvent]())
            for row in try Row.fetchAll(db, sql: "SELECT id, topic, payload, stored, refused FROM events ORDER BY id") {
                let event = OutboxEvent(
                    id: UInt64(row["id"] as Int64), topic: row["topic"], payload: Array(row["payload"] as Data),
                    stored: Date(timeIntervalSince1970: row["stored"]))
                if (row["refused"] as Double?) == nil { events.append(event) } else { refused.append(event) }
            }
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
            return (events, refused, UInt64(max(sequence, 0)) + 1, try Self.losses(db))
        }
    }

    private static func marksRefusals(_ db: Database) throws -> Bool {
        try db.columns(in: "events").contains { $0.name == "refused" }
    }

    /// Refuses, as corrupt, a file holding what this store never writes: a value of another type
    /// than its column's (the row accessors trap on those), an id or time out of range, a
    /// counter no device could reach. A tampered or damaged spool is told, never a crash.
    private static func requireWellFormed(_ db: Database) throws {
        let refusedColumn = try marksRefusals(db) ? "refused" : "NULL"
        let malformedEvents =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT COUNT(*) FROM events WHERE NOT (typeof(id) = 'integer' AND id BETWEEN 1 AND \(maximumID)
                        AND typeof(topic) = 'text' AND typeof(payload) = 'blob'
                        AND typeof(stored) IN ('real', 'integer') AND stored BETWEEN 0 AND \(latestTime)
                        AND typeof(\(refusedColumn)) IN ('real', 'integer', 'null'))
                    """) ?? 0
        let malformedSequence =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM sqlite_sequence WHERE NOT (typeof(seq) = 'integer' AND seq BETWEEN 0 AND \(maximumID))")
            ?? 0
        let malformedCounts =
            try db.tableExists("losses")
            ? try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM losses WHERE NOT (typeof(reason) = 'text' AND typeof(count) = 'integer' AND count BETWEEN 0 AND \(maximumCount))"
            ) ?? 0 : 0
        guard malformedEvents + malformedSequence + malformedCounts == 0 else {
            throw DatabaseError(
                resultCode: .SQLITE_CORRUPT,
                message:
                    "\(malformedEvents) events, \(malformedSequence) sequence and \(malformedCounts) counter rows hold values this spool never writes"
            )
        }
    }

    /// Far beyond what a device reads in its life, and far below where the arithmetic on them could overflow.
    private static let maximumID: Int64 = 1 << 53
    private static let maximumCount: Int64 = 1 << 53
    /// Seconds since 1970: the year 5138.
    private static let latestTime: Double = 1e11

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

import Foundation
import GRDB

/// The outbox's durable half: every event is in SQLite before it goes to the broker, and leaves
/// only once the broker has acknowledged it (or a spool limit let it go, which is counted here).
///
/// Durability: WAL journal with `synchronous = FULL`, so a committed event survives a killed
/// process and a power cut (NORMAL would survive the first but may lose the last commits to the
/// second). Commits are grouped by the outbox, so the fsync is paid per group, not per event.
/// A deletion lost to a crash means an event sent again, which at-least-once delivery allows
/// and the event id lets a consumer recognise.
public final class SpoolStore: Sendable {
    public let path: String
    private let database: DatabaseQueue

    public init(path: String) throws(SpoolError) {
        self.path = path
        var configuration = Configuration()
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
                            stored REAL NOT NULL
                        );
                        CREATE TABLE IF NOT EXISTS losses (
                            reason TEXT PRIMARY KEY,
                            count INTEGER NOT NULL
                        );
                        """)
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// The journal mode and synchronous level in force, for the test that proves the choice.
    public func durabilitySettings() throws(SpoolError) -> (journal: String, synchronous: Int) {
        try access { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
    }

    /// One transaction, one fsync: new events in (with the ids the outbox gave them), acknowledged
    /// ones out, losses added to the counters.
    public func commit(_ commit: SpoolCommit) throws(SpoolError) {
        do {
            try database.write { db in
                if !commit.inserts.isEmpty {
                    let insert = try db.cachedStatement(sql: "INSERT INTO events (id, topic, payload, stored) VALUES (?, ?, ?, ?)")
                    for event in commit.inserts {
                        try insert.execute(arguments: [
                            Int64(event.id), event.topic, Data(event.payload), event.stored.timeIntervalSince1970,
                        ])
                    }
                }
                for start in stride(from: 0, to: commit.deletes.count, by: 500) {
                    let chunk = commit.deletes[start..<min(start + 500, commit.deletes.count)]
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    try db.execute(sql: "DELETE FROM events WHERE id IN (\(marks))", arguments: StatementArguments(chunk.map { Int64($0) }))
                }
                for (reason, count) in [("dropped", commit.losses.dropped), ("expired", commit.losses.expired)] where count > 0 {
                    try db.execute(
                        sql:
                            "INSERT INTO losses (reason, count) VALUES (?, ?) ON CONFLICT(reason) DO UPDATE SET count = count + excluded.count",
                        arguments: [reason, count])
                }
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// What the spool holds, without reading payloads: for `smartreader status`, while a daemon writes.
    public func summary() throws(SpoolError) -> SpoolReport {
        try access { db in
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) AS count, SUM(length(CAST(topic AS BLOB)) + length(payload)) AS bytes, MIN(stored) AS oldest FROM events"
            )
            let oldest: Double? = row?["oldest"]
            return SpoolReport(
                depth: row?["count"] ?? 0, bytes: row?["bytes"] ?? 0, oldestStored: oldest.map(Date.init(timeIntervalSince1970:)),
                losses: try Self.losses(db))
        }
    }

    /// Everything a starting outbox needs: the events left, oldest first, the next free id (ids
    /// are never reused, so a consumer's duplicate check stays sound), and the loss counters.
    public func contents() throws(SpoolError) -> (events: [OutboxEvent], nextID: UInt64, losses: SpoolLosses) {
        try access { db in
            let events = try Row.fetchAll(db, sql: "SELECT id, topic, payload, stored FROM events ORDER BY id").map { row in
                OutboxEvent(
                    id: UInt64(row["id"] as Int64), topic: row["topic"], payload: Array(row["payload"] as Data),
                    stored: Date(timeIntervalSince1970: row["stored"]))
            }
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'events'") ?? 0
            return (events, UInt64(max(sequence, 0)) + 1, try Self.losses(db))
        }
    }

    private static func losses(_ db: Database) throws -> SpoolLosses {
        let counts = try Row.fetchAll(db, sql: "SELECT reason, count FROM losses").reduce(into: [String: Int]()) {
            $0[$1["reason"]] = $1["count"]
        }
        return SpoolLosses(dropped: counts["dropped"] ?? 0, expired: counts["expired"] ?? 0)
    }

    private func access<T>(_ body: (Database) throws -> T) throws(SpoolError) -> T {
        do {
            return try database.read(body)
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }
}

public enum SpoolError: Error, Sendable, CustomStringConvertible {
    case database(path: String, reason: String)

    public var description: String {
        switch self {
        case .database(let path, let reason):
            "spool \(path): \(reason); check the disk (space, permissions)"
        }
    }
}

import Foundation
import GRDB

/// The outbox's durable half: every event is in SQLite before it counts as read, and leaves
/// only once the broker has acknowledged it.
///
/// Durability: WAL journal with `synchronous = FULL`, so a committed event survives a killed
/// process and a power cut (NORMAL would survive the first but may lose the last commits to the
/// second). Deletions of acknowledged events are batched; one lost to a crash is sent again,
/// which at-least-once delivery allows and the event id lets a consumer recognise.
public final class SpoolStore: Sendable {
    public let path: String
    private let database: DatabaseQueue

    public init(path: String) throws(SpoolError) {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
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
                        )
                        """)
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// The journal mode and synchronous level in force, for the test that proves the choice.
    public func durabilitySettings() throws(SpoolError) -> (journal: String, synchronous: Int) {
        do {
            return try database.read { db in
                (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// Stores events in one transaction (one fsync) and returns their ids, in order.
    public func insert(_ events: [(topic: String, payload: [UInt8])], at date: Date = Date()) throws(SpoolError) -> [UInt64] {
        do {
            return try database.write { db in
                try events.map { event in
                    try db.execute(
                        sql: "INSERT INTO events (topic, payload, stored) VALUES (?, ?, ?)",
                        arguments: [event.topic, Data(event.payload), date.timeIntervalSince1970])
                    return UInt64(db.lastInsertedRowID)
                }
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    public func delete(_ ids: [UInt64]) throws(SpoolError) {
        guard !ids.isEmpty else { return }
        do {
            try database.write { db in
                for chunk in stride(from: 0, to: ids.count, by: 500).map({ ids[$0..<min($0 + 500, ids.count)] }) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    try db.execute(sql: "DELETE FROM events WHERE id IN (\(marks))", arguments: StatementArguments(chunk.map { Int64($0) }))
                }
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// How many events wait, and when the oldest was stored, without reading their payloads.
    public func summary() throws(SpoolError) -> (count: Int, oldest: Date?) {
        do {
            return try database.read { db in
                let row = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS count, MIN(stored) AS oldest FROM events")
                let oldest: Double? = row?["oldest"]
                return (row?["count"] ?? 0, oldest.map(Date.init(timeIntervalSince1970:)))
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }

    /// Every stored event, oldest first: what a restart sends before anything new.
    public func pending() throws(SpoolError) -> [StoredEvent] {
        do {
            return try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, topic, payload, stored FROM events ORDER BY id").map { row in
                    StoredEvent(
                        event: OutboxEvent(id: UInt64(row["id"] as Int64), topic: row["topic"], payload: Array(row["payload"] as Data)),
                        stored: Date(timeIntervalSince1970: row["stored"]))
                }
            }
        } catch {
            throw .database(path: path, reason: "\(error)")
        }
    }
}

public struct StoredEvent: Sendable, Equatable {
    public var event: OutboxEvent
    public var stored: Date
}

public enum SpoolError: Error, Sendable, CustomStringConvertible {
    case database(path: String, reason: String)

    public var description: String {
        switch self {
        case .database(let path, let reason):
            "spool \(path): \(reason); check the disk (space, permissions); events are not accepted until it works"
        }
    }
}

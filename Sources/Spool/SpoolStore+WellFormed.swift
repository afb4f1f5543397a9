import GRDB

/// What a spool file may hold: the checks that refuse, as corrupt, a file this store never
/// wrote (damaged or tampered with), before any row is read into a value that would trap.
extension SpoolStore {
    /// Refuses, as corrupt, a file holding what this store never writes: a value of another type
    /// than its column's (the row accessors trap on those), an id or time out of range, a
    /// counter no device could reach. A tampered or damaged spool is told, never a crash.
    static func requireWellFormed(_ db: Database) throws {
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
        let malformedSegments = try malformedSegmentRows(db)
        guard malformedEvents + malformedSequence + malformedCounts + malformedSegments == 0 else {
            throw DatabaseError(
                resultCode: .SQLITE_CORRUPT,
                message:
                    "\(malformedEvents) events, \(malformedSegments) segment, \(malformedSequence) sequence and \(malformedCounts) counter rows hold values this spool never writes"
            )
        }
    }

    /// Segment rows this store never writes; a spool from before segments has neither table,
    /// and the two are made together.
    static func malformedSegmentRows(_ db: Database) throws -> Int {
        let (segments, settled) = (try db.tableExists("segments"), try db.tableExists("segment_settled"))
        guard segments || settled else { return 0 }
        guard segments && settled else { return 1 }
        return try Int.fetchOne(
            db,
            sql: """
                SELECT (SELECT COUNT(*) FROM segments WHERE NOT (typeof(first) = 'integer' AND first BETWEEN 1 AND \(maximumID)
                    AND typeof(count) = 'integer' AND count BETWEEN 1 AND \(SpoolSegment.maximumEvents)
                    AND typeof(events) = 'blob'))
                + (SELECT COUNT(*) FROM segment_settled LEFT JOIN segments USING (first)
                    WHERE segments.count IS NULL OR typeof(bits) != 'blob' OR length(bits) != (segments.count + 7) / 8)
                """) ?? 0
    }

    /// Far beyond what a device reads in its life, and far below where the arithmetic on them could overflow.
    static let maximumID: Int64 = 1 << 53
    static let maximumCount: Int64 = 1 << 53
    /// Seconds since 1970: the year 5138.
    static let latestTime: Double = 1e11
}

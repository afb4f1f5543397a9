import Foundation

/// Events committed together, stored as one row: the ids `first..<first + count`, packed one
/// after another. One row a commit instead of one an event is what makes the durable spool
/// cheap: SQLite's cost is per row and per page, not per byte.
///
/// Each event is packed as: the time it was read (seconds since 1970, an IEEE 754 double),
/// the topic's length and the topic (UTF-8), the payload's length and the payload; numbers
/// little-endian, lengths 32 bits.
struct SpoolSegment {
    /// Rows stay small enough to read whole on a small gateway; a larger commit makes several.
    static let maximumEvents = 1024

    static func pack(_ events: ArraySlice<OutboxEvent>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(events.reduce(0) { $0 + 16 + $1.size })
        for event in events {
            append(event.stored.timeIntervalSince1970.bitPattern, to: &bytes)
            append(UInt32(event.topic.utf8.count), to: &bytes)
            bytes += event.topic.utf8
            append(UInt32(event.payload.count), to: &bytes)
            bytes += event.payload
        }
        return bytes
    }

    /// Calls `visit` with each event's index in the segment, time read, topic and payload (as
    /// ranges of `bytes`), in order; throws, naming the segment, if the bytes are not `count`
    /// events packed by `pack`.
    static func forEachEvent(
        first: UInt64, count: Int, in bytes: [UInt8],
        _ visit: (_ index: Int, _ stored: Double, _ topic: Range<Int>, _ payload: Range<Int>) throws -> Void
    ) throws {
        guard count >= 0 else { throw SegmentError(first: first, reason: "it claims \(count) events") }
        var offset = 0
        func take(_ length: Int) throws -> Range<Int> {
            guard length >= 0, length <= bytes.count - offset else {
                throw SegmentError(first: first, reason: "it ends inside an event (byte \(offset) of \(bytes.count))")
            }
            defer { offset += length }
            return offset..<offset + length
        }
        func number<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let range = try take(MemoryLayout<T>.size)
            return range.reversed().reduce(T(0)) { $0 << 8 | T(bytes[$1]) }
        }
        for index in 0..<count {
            let stored = Double(bitPattern: try number(UInt64.self))
            let topic = try take(Int(try number(UInt32.self)))
            let payload = try take(Int(try number(UInt32.self)))
            try visit(index, stored, topic, payload)
        }
        guard offset == bytes.count else {
            throw SegmentError(first: first, reason: "\(bytes.count - offset) bytes follow its \(count) events")
        }
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }
}

/// A segment whose bytes are not what `SpoolSegment.pack` writes: a damaged or tampered spool.
struct SegmentError: Error, CustomStringConvertible {
    var first: UInt64
    var reason: String

    var description: String { "the segment of events from id \(first) is malformed: \(reason)" }
}

/// Which events of each segment still wait: the store's memory of the acknowledgements it has
/// written, so that a commit updates a few bits instead of reading segments back.
struct SegmentIndex {
    struct Segment {
        let first: UInt64
        let count: Int
        /// Bit `i` set: event `first + i` is settled (acknowledged, let go, or moved to a row of its own).
        var settled: [UInt8]
        var settledCount: Int

        init(first: UInt64, count: Int, settled: [UInt8]? = nil) {
            let bits = settled ?? [UInt8](repeating: 0, count: (count + 7) / 8)
            self.first = first
            self.count = count
            self.settled = bits
            settledCount = bits.enumerated().reduce(0) { total, byte in
                // Bits past the last event do not count: a tampered file may set them.
                let valid = byte.offset == bits.count - 1 && count % 8 != 0 ? UInt8((1 << (count % 8)) - 1) : 0xFF
                return total + (byte.element & valid).nonzeroBitCount
            }
        }

        var isSettled: Bool { settledCount == count }

        func isSettled(_ index: Int) -> Bool { settled[index / 8] & (1 << (index % 8)) != 0 }
    }

    /// In id order: segments are made in id order and only ever removed.
    private(set) var segments: [Segment] = []

    /// One past the last id of the last segment; 1 when there is none.
    var end: UInt64 { segments.last.map { $0.first + UInt64($0.count) } ?? 1 }
    /// Firsts of the segments changed since `takeChanges`.
    private var changed: Set<UInt64> = []

    mutating func add(_ segment: Segment) {
        precondition(segments.last.map { $0.first + UInt64($0.count) <= segment.first } ?? true, "segments are added in id order")
        segments.append(segment)
    }

    /// Settles `id`: true if it was an event of a segment still waiting, false if no segment
    /// holds it waiting (it is on a row of its own, or already settled).
    mutating func settle(_ id: UInt64) -> Bool {
        var low = 0
        var high = segments.count
        while low < high {
            let middle = (low + high) / 2
            if segments[middle].first + UInt64(segments[middle].count) <= id { low = middle + 1 } else { high = middle }
        }
        guard low < segments.count, segments[low].first <= id else { return false }
        let index = Int(id - segments[low].first)
        guard !segments[low].isSettled(index) else { return false }
        segments[low].settled[index / 8] |= 1 << (index % 8)
        segments[low].settledCount += 1
        changed.insert(segments[low].first)
        return true
    }

    /// The segments changed since the last call: those now wholly settled leave the index.
    mutating func takeChanges() -> (settled: [UInt64], partly: [Segment]) {
        defer { changed.removeAll() }
        guard !changed.isEmpty else { return ([], []) }
        let touched = segments.filter { changed.contains($0.first) }
        segments.removeAll { $0.isSettled }
        return (touched.filter(\.isSettled).map(\.first), touched.filter { !$0.isSettled })
    }
}

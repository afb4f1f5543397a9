import Foundation

/// What a full spool does with the next event.
public enum FullPolicy: String, Sendable, CaseIterable {
    /// `append` waits: the reader is held back and nothing is lost.
    case holdReader = "hold"
    /// The oldest event not yet handed to the broker is dropped, and counted, to make room.
    case dropOldest = "drop-oldest"
}

/// How much the spool may hold. Count and bytes bound memory and disk; the age bound drops
/// events nobody can use any more (a week-old badge read at a gate) rather than send them.
public struct SpoolLimits: Sendable, Equatable {
    public var maximumEvents: Int
    /// Topic and payload bytes of the events held.
    public var maximumBytes: Int
    /// Events waiting longer than this are dropped unsent and counted as expired; nil keeps them.
    public var maximumAge: Duration?
    public var whenFull: FullPolicy

    public init(
        maximumEvents: Int = 10_000, maximumBytes: Int = 16 << 20, maximumAge: Duration? = .seconds(7 * 86_400),
        whenFull: FullPolicy = .holdReader
    ) {
        precondition(maximumEvents > 0 && maximumBytes > 0, "a spool must hold at least one event")
        self.maximumEvents = maximumEvents
        self.maximumBytes = maximumBytes
        self.maximumAge = maximumAge
        self.whenFull = whenFull
    }

    public static let standard = SpoolLimits()

    /// Reads `512`, `64k`, `16MiB`, `1G`: bytes, or binary kilo-, mega- or gigabytes.
    public static func parseBytes(_ text: String) -> Int? {
        let units: [(String, Int)] = [
            ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1),
        ]
        let lowered = text.lowercased()
        let (number, scale) = units.first { lowered.hasSuffix($0.0) }.map { (String(lowered.dropLast($0.0.count)), $0.1) } ?? (lowered, 1)
        guard let value = Int(number), value > 0, value <= Int.max / scale else { return nil }
        return value * scale
    }

    /// Reads `90`, `90s`, `15m`, `12h`, `7d`; `none` (or `0`) for no age bound, as `.some(nil)`.
    public static func parseAge(_ text: String) -> Duration?? {
        let lowered = text.lowercased()
        if lowered == "none" || lowered == "0" { return .some(nil) }
        let units: [(Character, Int64)] = [("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        let (number, scale) =
            lowered.last.flatMap { last in units.first { $0.0 == last } }.map { (String(lowered.dropLast()), $0.1) } ?? (lowered, 1)
        guard let value = Int64(number), value > 0, value <= Int64.max / scale else { return nil }
        return .some(.seconds(value * scale))
    }
}

/// Events the spool let go of unsent, since the spool file was created.
public struct SpoolLosses: Sendable, Equatable {
    /// Dropped by the drop-oldest policy to make room.
    public var dropped = 0
    /// Dropped for waiting longer than the age bound.
    public var expired = 0

    public init(dropped: Int = 0, expired: Int = 0) {
        self.dropped = dropped
        self.expired = expired
    }

    public var isEmpty: Bool { dropped == 0 && expired == 0 }

    static func + (lhs: Self, rhs: Self) -> Self { Self(dropped: lhs.dropped + rhs.dropped, expired: lhs.expired + rhs.expired) }
}

/// What the spool holds now, for logs, `smartreader status` and the STATUS extension.
public struct SpoolReport: Sendable, Equatable {
    public var depth: Int
    public var bytes: Int
    public var oldestStored: Date?
    public var losses: SpoolLosses

    public init(depth: Int, bytes: Int, oldestStored: Date?, losses: SpoolLosses) {
        self.depth = depth
        self.bytes = bytes
        self.oldestStored = oldestStored
        self.losses = losses
    }

    public func oldestAge(at now: Date = Date()) -> Double? { oldestStored.map { max(0, now.timeIntervalSince($0)) } }

    /// One line: `120 events (35 KiB) waiting, the oldest stored 12.0 s ago; 3 dropped, 0 expired`.
    public var summary: String {
        let waiting =
            depth == 0
            ? "empty: every event read has been acknowledged by the broker"
            : "\(depth) events (\(Self.kibibytes(bytes))) waiting for the broker"
                + (oldestAge().map { String(format: ", the oldest stored %.1f s ago", $0) } ?? "")
        return waiting
            + (losses.isEmpty ? "" : "; \(losses.dropped) dropped when full, \(losses.expired) expired (since the spool was created)")
    }

    private static func kibibytes(_ bytes: Int) -> String { bytes < 1024 ? "\(bytes) B" : "\((bytes + 1023) / 1024) KiB" }
}

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

/// Events the spool let go of unsent, and those the broker refused, since the spool file was created.
public struct SpoolLosses: Sendable, Equatable {
    /// Dropped by the drop-oldest policy to make room.
    public var dropped = 0
    /// Dropped for waiting longer than the age bound.
    public var expired = 0
    /// Answered by the broker with a failure reason code (MQTT 5 PUBACK, e.g. 0x87 not authorized).
    public var refused = 0
    /// Refused events let go because more were held than the spool's event limit, the oldest first.
    public var refusedDropped = 0
    /// Refused events the operator discarded (`smartreader spool discard`).
    public var discarded = 0

    public init(dropped: Int = 0, expired: Int = 0, refused: Int = 0, refusedDropped: Int = 0, discarded: Int = 0) {
        self.dropped = dropped
        self.expired = expired
        self.refused = refused
        self.refusedDropped = refusedDropped
        self.discarded = discarded
    }

    public var isEmpty: Bool { self == Self() }

    /// The counters as the store keeps them, one row a reason.
    static var storedReasons: [(name: String, counter: WritableKeyPath<SpoolLosses, Int>)] {
        [
            ("dropped", \.dropped), ("expired", \.expired), ("refused", \.refused), ("refused-dropped", \.refusedDropped),
            ("discarded", \.discarded),
        ]
    }

    static func + (lhs: Self, rhs: Self) -> Self {
        var sum = lhs
        for reason in storedReasons { sum[keyPath: reason.counter] += rhs[keyPath: reason.counter] }
        return sum
    }
}

/// What the spool holds now, for logs, `smartreader status` and the STATUS extension.
public struct SpoolReport: Sendable, Equatable {
    /// Events waiting for the broker or in flight; refused ones are not among them.
    public var depth: Int
    public var bytes: Int
    public var oldestStored: Date?
    public var losses: SpoolLosses
    /// Events the broker refused, held until the operator retries or discards them.
    public var refused: Int

    public init(depth: Int, bytes: Int, oldestStored: Date?, losses: SpoolLosses, refused: Int = 0) {
        self.depth = depth
        self.bytes = bytes
        self.oldestStored = oldestStored
        self.losses = losses
        self.refused = refused
    }

    public func oldestAge(at now: Date = Date()) -> Double? { oldestStored.map { max(0, now.timeIntervalSince($0)) } }

    /// One line: `120 events (35 KiB) waiting, the oldest stored 12.0 s ago; 3 dropped, 0 expired`,
    /// then, when the broker refused any, what is held and what to do.
    public var summary: String {
        let waiting =
            depth > 0
            ? "\(depth) events (\(Self.kibibytes(bytes))) waiting for the broker"
                + (oldestAge().map { String(format: ", the oldest stored %.1f s ago", $0) } ?? "")
            : refused > 0 ? "nothing waits for the broker" : "empty: every event read has been acknowledged by the broker"
        let letGo =
            losses.dropped + losses.expired == 0
            ? "" : "; \(losses.dropped) dropped when full, \(losses.expired) expired (since the spool was created)"
        return waiting + letGo + refusals
    }

    /// Refused events held and the counts since the spool was created; empty when the broker never refused one.
    public var refusals: String {
        guard refused > 0 || losses.refused > 0 else { return "" }
        var counts = "\(losses.refused) refused, \(losses.discarded) discarded"
        if losses.refusedDropped > 0 { counts += ", \(losses.refusedDropped) dropped over the limit" }
        counts += " since the spool was created"
        guard refused > 0 else { return "; no refused event held (\(counts))" }
        return "; \(refused) events REFUSED are held (\(counts)): fix the device's identity, the broker's ACL or its packet size limit, "
            + "then `smartreader spool retry`, or `smartreader spool discard`"
    }

    private static func kibibytes(_ bytes: Int) -> String { bytes < 1024 ? "\(bytes) B" : "\((bytes + 1023) / 1024) KiB" }
}

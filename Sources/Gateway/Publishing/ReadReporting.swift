import SpringCore
import Synchronization
import TagReaders

/// One event as the device reports it: the tag, and whether its `Move` is sent.
public struct ReadReport: Sendable, Equatable {
    public var event: TagEvent
    public var includesMove: Bool
}

/// What a Smart Reader reports of the tags in its field, as SpringCard's register map says
/// (springcard/springcore-xmlfiles config/springpark.xml, registers 02A0 and 02A1):
/// - 02A0 byte 0 bit 4 set, tracking movements: the Insert when a tag arrives and the Remove
///   when it leaves, each with its `Move`;
/// - clear (the factory setting), "tag read event only": one event without `Move` when a tag is
///   read, and again while it stays in the field once 02A1 byte 1's delay has passed, at the
///   next reading (readings are 02A1 byte 0 apart); byte 1 = FF, not again until it has left.
///   A tag read within that delay of its last report is not reported, even if it left meanwhile.
///   Only a reader that follows presence (an Insert with `removalFollows`) holds a tag in the
///   field; any other Insert, like an Insert,Remove, is one reading.
public struct ReadReporting: Sendable {
    /// The emulator's shortest reading cycle, for a register asking "as quickly as possible" (0).
    static let fastestReading = Duration.milliseconds(100)

    public let tracksMovements: Bool
    /// Between two readings of a tag held in the field.
    public let readingCycle: Duration
    /// From one report of a tag held in the field to the next; nil when it is reported once per stay.
    public let repeatPeriod: Duration?
    private var present: [String: (event: TagEvent, nextReport: ContinuousClock.Instant)] = [:]
    private var lastReported: [String: ContinuousClock.Instant] = [:]
    /// The table size at which entries older than the repeat delay are dropped next.
    private var pruneAt = 1024

    public init(features: SmartReaderFeatures, delays: ReadDelaysRegister) {
        tracksMovements = features.tracksMovements
        let cycle = max(delays.readInterval, Self.fastestReading)
        readingCycle = cycle
        // The first reading at or after the repeat delay, readings being one cycle apart.
        repeatPeriod = delays.repeatInterval.map { delay in cycle * max(1, Int((delay / cycle).rounded(.up))) }
    }

    public mutating func reports(for event: TagEvent, at now: ContinuousClock.Instant) -> [ReadReport] {
        if tracksMovements { return [ReadReport(event: event, includesMove: true)] }
        switch event.move {
        case .remove:
            present[event.tagID] = nil
            return []
        case .insert where event.removalFollows:
            let reported = report(event, at: now)
            let due = reported.isEmpty ? (lastReported[event.tagID] ?? now) + (repeatPeriod ?? .zero) : now + (repeatPeriod ?? .zero)
            present[event.tagID] = (event, due)
            return reported
        case .insert, .insertRemove:
            present[event.tagID] = nil
            return report(event, at: now)
        }
    }

    /// Reports for tags held in the field whose repeat delay has passed by `now`.
    public mutating func dueReports(at now: ContinuousClock.Instant) -> [ReadReport] {
        guard let period = repeatPeriod else { return [] }
        var due: [ReadReport] = []
        for (tagID, held) in present.sorted(by: { $0.value.nextReport < $1.value.nextReport }) where held.nextReport <= now {
            due.append(ReadReport(event: held.event, includesMove: false))
            lastReported[tagID] = held.nextReport
            present[tagID]?.nextReport = held.nextReport + period
        }
        return due
    }

    private mutating func report(_ event: TagEvent, at now: ContinuousClock.Instant) -> [ReadReport] {
        if let period = repeatPeriod, let last = lastReported[event.tagID], now - last < period { return [] }
        // Entries older than the repeat delay decide nothing; dropping them keeps the table small.
        // The next prune waits until the table has doubled: with many tags read within one delay
        // (a replay, a busy gate) a prune at every read would cost the whole table each time.
        if lastReported.count >= pruneAt, let period = repeatPeriod {
            lastReported = lastReported.filter { now - $0.value < period }
            pruneAt = max(1024, lastReported.count * 2)
        }
        lastReported[event.tagID] = now
        return [ReadReport(event: event, includesMove: false)]
    }
}

/// `ReadReporting` shared by the tag sources and the reading cycle that repeats held tags.
final class ReadReporter: Sendable {
    private let reporting: Mutex<ReadReporting>
    let readingCycle: Duration
    /// Whether a tag held in the field is reported more than once.
    let repeatsHeldTags: Bool

    init(_ reporting: ReadReporting) {
        self.reporting = Mutex(reporting)
        readingCycle = reporting.readingCycle
        repeatsHeldTags = !reporting.tracksMovements && reporting.repeatPeriod != nil
    }

    /// At the event's own reading time when it has one (a replay's trace time), so a replay at
    /// any speed reports what the original would have.
    func reports(for event: TagEvent) -> [ReadReport] {
        reporting.withLock { $0.reports(for: event, at: event.readAt ?? .now) }
    }

    /// Runs the reading cycle until cancelled, handing each repeated report to `deliver`.
    func repeatHeldTags(deliver: @Sendable (ReadReport) async -> Void) async {
        while (try? await Task.sleep(for: readingCycle)) != nil {
            for report in reporting.withLock({ $0.dueReports(at: .now) }) { await deliver(report) }
        }
    }
}

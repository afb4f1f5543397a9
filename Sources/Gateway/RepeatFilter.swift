import Synchronization
import TagReaders

/// Register 02A1's repeat hold-off: a tag inserted again within the hold-off of its last
/// reported Insert is not reported. Removes always pass, so a backend never misses one.
final class RepeatFilter: Sendable {
    private let holdOff: Duration
    private let lastInserts = Mutex<[String: ContinuousClock.Instant]>([:])

    init(holdOff: Duration) { self.holdOff = holdOff }

    func admits(_ event: TagEvent, at now: ContinuousClock.Instant = .now) -> Bool {
        guard holdOff > .zero, event.move != .remove else { return true }
        return lastInserts.withLock { last in
            if let previous = last[event.tagID], now - previous < holdOff { return false }
            // Entries older than the hold-off decide nothing; dropping them keeps the table small.
            if last.count > 1024 { last = last.filter { now - $0.value < holdOff } }
            last[event.tagID] = now
            return true
        }
    }
}

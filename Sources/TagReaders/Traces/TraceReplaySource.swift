/// Plays a trace back as a live reader would produce it: each event at its offset divided by
/// `speed`, or as fast as the consumer takes them when `speed` is nil (`--fast`). Pull-based,
/// so a fast replay never buffers ahead of the pipeline. Each event carries its trace time
/// (`readAt`), whatever the speed.
public struct TraceReplaySource: AsyncSequence, Sendable {
    public typealias Element = TagEvent

    public let trace: Trace
    public let speed: Double?

    /// The speeds a replay accepts. Entry points refuse others with a message; here a speed
    /// outside is clamped, so that no offset divided by it can overflow `Duration` and trap.
    public static let speeds: ClosedRange<Double> = 0.001...1_000_000

    public init(trace: Trace, speed: Double?) {
        self.trace = trace
        self.speed = speed.map { $0.isNaN ? 1 : Swift.min(Swift.max($0, Self.speeds.lowerBound), Self.speeds.upperBound) }
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(entries: trace.entries, speed: speed)
    }

    public struct Iterator: AsyncIteratorProtocol {
        private let entries: [Trace.Entry]
        private let speed: Double?
        private var index = 0
        private var start: ContinuousClock.Instant?

        init(entries: [Trace.Entry], speed: Double?) {
            self.entries = entries
            self.speed = speed
        }

        public mutating func next() async -> TagEvent? {
            guard index < entries.count, !Task.isCancelled else { return nil }
            let entry = entries[index]
            index += 1
            let start = self.start ?? .now
            self.start = start
            if let speed {
                do { try await Task.sleep(until: start + entry.offset / speed, clock: .continuous) } catch { return nil }
            }
            var event = entry.event
            event.readAt = start + entry.offset
            return event
        }
    }
}

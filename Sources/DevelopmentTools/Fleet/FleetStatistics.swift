import Histogram
import Synchronization

/// What the fleet's devices report while it runs, from any thread: counts and latency
/// histograms (HdrHistogram, microseconds, 3 significant digits, up to an hour).
public final class FleetStatistics: Sendable {
    public struct Snapshot: Sendable {
        /// Devices that have connected, once each: the report's count.
        public var connected = 0
        /// Devices whose connection is up at the snapshot (fewer than `connected` during an outage),
        /// for the progress line; the simulation fills it in, the devices' own counts do not.
        public var online = 0
        public var eventsGiven = 0
        public var eventsAcknowledged = 0
        public var errors: [String: Int] = [:]
        var tlsHandshake = FleetStatistics.histogram()
        var connAck = FleetStatistics.histogram()
        var puback = FleetStatistics.histogram()
        public var errorCount: Int { errors.values.reduce(0, +) }
    }

    private let state = Mutex(Snapshot())

    public init() {}

    static func histogram() -> Histogram<UInt64> { Histogram(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three) }

    private static func microseconds(_ duration: Duration) -> UInt64 { UInt64(max(0, duration / .microseconds(1))) }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func connected(tlsHandshake: Duration?, connAck: Duration) {
        state.withLock { state in
            state.connected += 1
            if let tlsHandshake { _ = state.tlsHandshake.record(Self.microseconds(tlsHandshake)) }
            _ = state.connAck.record(Self.microseconds(connAck))
        }
    }

    func given() { state.withLock { $0.eventsGiven += 1 } }

    func acknowledged(after latency: Duration) {
        state.withLock { state in
            state.eventsAcknowledged += 1
            _ = state.puback.record(Self.microseconds(latency))
        }
    }

    func error(_ kind: String, count: Int = 1) { state.withLock { $0.errors[kind, default: 0] += count } }
}

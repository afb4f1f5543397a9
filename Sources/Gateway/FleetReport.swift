import Foundation
import Histogram
import Synchronization

/// Percentiles of a latency, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: Int
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double

    init(_ histogram: Histogram<UInt64>) {
        func milliseconds(_ microseconds: UInt64) -> Double { (Double(microseconds) / 10).rounded() / 100 }
        count = Int(histogram.totalCount)
        p50 = milliseconds(histogram.valueAtPercentile(50))
        p95 = milliseconds(histogram.valueAtPercentile(95))
        p99 = milliseconds(histogram.valueAtPercentile(99))
        max = milliseconds(histogram.max)
    }

    var text: String { count == 0 ? "none" : "p50 \(p50) ms, p95 \(p95) ms, p99 \(p99) ms, max \(max) ms (\(count))" }
}

/// What the fleet's devices report while it runs, from any thread: counts and latency
/// histograms (HdrHistogram, microseconds, 3 significant digits, up to an hour).
public final class FleetStatistics: Sendable {
    public struct Snapshot: Sendable {
        public var connected = 0
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

/// The end of a simulation, for people (`lines`) and scripts (`json`).
public struct FleetReport: Codable, Sendable, Equatable {
    public var devices: Int
    public var connected: Int
    /// From the first connect to the last CONNACK.
    public var connectSeconds: Double
    public var connectsPerSecond: Double
    public var tlsHandshake: LatencySummary
    public var connAck: LatencySummary
    public var publishToPuback: LatencySummary
    public var eventsGiven: Int
    public var eventsAcknowledged: Int
    /// Acknowledged events over the event phase.
    public var eventsPerSecond: Double
    public var errors: [String: Int]
    /// The resident set at the end of the event phase, before the devices stop.
    public var residentMiB: Double
    /// The growth of the resident set from before the first device was made, over the devices.
    public var kibibytesPerDevice: Double
    /// The simulator's own CPU time (user + system, all threads) in the event phase, per acknowledged event.
    public var cpuMicrosecondsPerEvent: Double

    init(
        plan: FleetPlan, statistics: FleetStatistics.Snapshot, connectTime: Duration, eventTime: Duration, residentKiBBefore: Int,
        residentKiBAfter: Int, eventPhaseCPUSeconds: Double
    ) {
        func seconds(_ duration: Duration) -> Double { Double(duration / .milliseconds(1)) / 1000 }
        devices = plan.devices
        connected = statistics.connected
        connectSeconds = (seconds(connectTime) * 100).rounded() / 100
        connectsPerSecond = connectSeconds > 0 ? (Double(connected) / connectSeconds).rounded() : 0
        tlsHandshake = LatencySummary(statistics.tlsHandshake)
        connAck = LatencySummary(statistics.connAck)
        publishToPuback = LatencySummary(statistics.puback)
        eventsGiven = statistics.eventsGiven
        eventsAcknowledged = statistics.eventsAcknowledged
        eventsPerSecond = seconds(eventTime) > 0 ? (Double(eventsAcknowledged) / seconds(eventTime) * 10).rounded() / 10 : 0
        errors = statistics.errors
        residentMiB = (Double(residentKiBAfter) / 1024 * 10).rounded() / 10
        kibibytesPerDevice = plan.devices > 0 ? (Double(max(0, residentKiBAfter - residentKiBBefore)) / Double(plan.devices)).rounded() : 0
        cpuMicrosecondsPerEvent =
            eventsAcknowledged > 0 ? (eventPhaseCPUSeconds * 1e6 / Double(eventsAcknowledged) * 10).rounded() / 10 : 0
    }

    public var lines: [String] {
        [
            "devices     \(connected) of \(devices) connected in \(connectSeconds) s (\(Int(connectsPerSecond)) connects/s)",
            "TLS         \(tlsHandshake.text)",
            "CONNACK     \(connAck.text)",
            "PUBACK      \(publishToPuback.text)",
            "events      \(eventsAcknowledged) of \(eventsGiven) acknowledged, \(eventsPerSecond) events/s, "
                + "\(cpuMicrosecondsPerEvent) µs of the simulator's CPU an event",
            "errors      "
                + (errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
            "memory      \(residentMiB) MiB resident, \(Int(kibibytesPerDevice)) KiB a device",
        ]
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Numbers, strings and a dictionary of counts: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

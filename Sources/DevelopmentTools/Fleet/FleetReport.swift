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

/// The end of a simulation, for people (`lines`) and scripts (`json`): one process's, one shard's,
/// or several shards' merged (`merged(_:)`), all in the same form.
public struct FleetReport: Codable, Sendable, Equatable {
    /// 2 added the histograms, the shards and the wall-clock windows that `report merge` needs;
    /// 3 the early stops (`stoppedEarly`, and each shard's).
    public static let currentFormatVersion = 3

    public var formatVersion: Int
    /// The whole fleet's size (`--devices`), over every shard.
    public var fleetDevices: Int
    /// The shards this report covers, each with its memory and whether it stopped early.
    public var shards: [ShardSummary]
    /// Whether any of those shards stopped before the end of its run: its figures cover less.
    public var stoppedEarly: Bool
    /// The devices this report covers.
    public var devices: Int
    public var connected: Int
    /// When the first device started connecting and the last CONNACK came, in Unix seconds.
    public var connectStartedAt: Double
    public var connectEndedAt: Double
    public var connectSeconds: Double
    public var connectsPerSecond: Double
    public var tlsHandshake: LatencySummary
    public var connAck: LatencySummary
    public var publishToPuback: LatencySummary
    public var histograms: LatencyHistograms
    public var eventsGiven: Int
    public var eventsAcknowledged: Int
    /// When the event phase began and when its last event was acknowledged (or given up on), in Unix seconds.
    public var eventsStartedAt: Double
    public var eventsEndedAt: Double
    /// Acknowledged events over the event phase.
    public var eventsPerSecond: Double
    public var errors: [String: Int]
    /// The resident set at the end of the event phase, before the devices stop; over shards, their sum.
    public var residentMiB: Double
    /// The growth of the resident set from before the first device was made, over the devices.
    public var kibibytesPerDevice: Double
    /// The simulator's own CPU time (user + system, all threads) in the event phase.
    public var eventPhaseCPUSeconds: Double
    /// That CPU time per acknowledged event.
    public var cpuMicrosecondsPerEvent: Double

    /// One shard: its devices, its memory, and why it stopped early, if it did (absent: it ran to the end).
    public struct ShardSummary: Codable, Sendable, Equatable {
        public var shard: FleetShard
        public var devices: Int
        public var residentMiB: Double
        public var kibibytesPerDevice: Double
        public var stoppedEarly: FleetEarlyStop?
    }

    /// The wall-clock times of a run's phases, in Unix seconds.
    struct Window {
        var connectStartedAt: Double
        var connectEndedAt: Double
        var eventsStartedAt: Double
        var eventsEndedAt: Double
    }

    init(
        plan: FleetPlan, statistics: FleetStatistics.Snapshot, window: Window, residentKiBBefore: Int, residentKiBAfter: Int,
        eventPhaseCPUSeconds: Double, stoppedEarly: FleetEarlyStop? = nil
    ) {
        let devices = plan.deviceIndices.count
        let memory = ShardSummary(
            shard: plan.shard, devices: devices, residentMiB: (Double(residentKiBAfter) / 1024 * 10).rounded() / 10,
            kibibytesPerDevice: devices > 0 ? (Double(max(0, residentKiBAfter - residentKiBBefore)) / Double(devices)).rounded() : 0,
            stoppedEarly: stoppedEarly)
        self.init(
            fleetDevices: plan.devices, shards: [memory], connected: statistics.connected, window: window,
            tlsHandshake: statistics.tlsHandshake, connAck: statistics.connAck, puback: statistics.puback,
            eventsGiven: statistics.eventsGiven, eventsAcknowledged: statistics.eventsAcknowledged, errors: statistics.errors,
            eventPhaseCPUSeconds: eventPhaseCPUSeconds)
    }

    /// The figures derived from the others (rates, percentiles, memory over shards) are computed
    /// here, for one process and for merged shards alike.
    init(
        fleetDevices: Int, shards: [ShardSummary], connected: Int, window: Window, tlsHandshake: Histogram<UInt64>,
        connAck: Histogram<UInt64>, puback: Histogram<UInt64>, eventsGiven: Int, eventsAcknowledged: Int, errors: [String: Int],
        eventPhaseCPUSeconds: Double
    ) {
        func milliseconds(_ unixSeconds: Double) -> Double { (unixSeconds * 1000).rounded() / 1000 }
        formatVersion = Self.currentFormatVersion
        self.fleetDevices = fleetDevices
        self.shards = shards.sorted { $0.shard < $1.shard }
        stoppedEarly = shards.contains { $0.stoppedEarly != nil }
        devices = shards.map(\.devices).reduce(0, +)
        self.connected = connected
        connectStartedAt = milliseconds(window.connectStartedAt)
        connectEndedAt = milliseconds(window.connectEndedAt)
        connectSeconds = ((window.connectEndedAt - window.connectStartedAt) * 100).rounded() / 100
        connectsPerSecond = connectSeconds > 0 ? (Double(connected) / connectSeconds).rounded() : 0
        self.tlsHandshake = LatencySummary(tlsHandshake)
        self.connAck = LatencySummary(connAck)
        publishToPuback = LatencySummary(puback)
        histograms = LatencyHistograms(
            tlsHandshake: LatencyHistogram(tlsHandshake), connAck: LatencyHistogram(connAck), publishToPuback: LatencyHistogram(puback))
        self.eventsGiven = eventsGiven
        self.eventsAcknowledged = eventsAcknowledged
        eventsStartedAt = milliseconds(window.eventsStartedAt)
        eventsEndedAt = milliseconds(window.eventsEndedAt)
        let eventSeconds = window.eventsEndedAt - window.eventsStartedAt
        eventsPerSecond = eventSeconds > 0 ? (Double(eventsAcknowledged) / eventSeconds * 10).rounded() / 10 : 0
        self.errors = errors
        residentMiB = (shards.map(\.residentMiB).reduce(0, +) * 10).rounded() / 10
        kibibytesPerDevice =
            devices > 0 ? (shards.map { $0.kibibytesPerDevice * Double($0.devices) }.reduce(0, +) / Double(devices)).rounded() : 0
        self.eventPhaseCPUSeconds = (eventPhaseCPUSeconds * 1000).rounded() / 1000
        cpuMicrosecondsPerEvent =
            eventsAcknowledged > 0 ? (eventPhaseCPUSeconds * 1e6 / Double(eventsAcknowledged) * 10).rounded() / 10 : 0
    }

    public var lines: [String] {
        [
            "devices     \(connected) of \(devices) connected in \(connectSeconds) s (\(Int(connectsPerSecond)) connects/s)"
                + (shards.count > 1
                    ? " over \(shards.count) shards" : shards.first.map { $0.shard.count > 1 ? ", shard \($0.shard)" : "" } ?? ""),
            "TLS         \(tlsHandshake.text)",
            "CONNACK     \(connAck.text)",
            "PUBACK      \(publishToPuback.text)",
            "events      \(eventsAcknowledged) of \(eventsGiven) acknowledged, \(eventsPerSecond) events/s, "
                + "\(cpuMicrosecondsPerEvent) µs of the simulator's CPU an event",
            "errors      "
                + (errors.isEmpty ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")),
        ] + stoppedEarlyLines + ["memory      \(residentMiB) MiB resident, \(Int(kibibytesPerDevice)) KiB a device" + worstShardText]
    }

    /// One line when this report's figures cover less than the run: which shards stopped, why, and in which phase.
    private var stoppedEarlyLines: [String] {
        let stopped = shards.compactMap { shard in shard.stoppedEarly.map { (shard.shard, $0) } }
        guard let (shard, stop) = stopped.first else { return [] }
        if shards.count == 1 {
            let which = shard.count > 1 ? " (shard \(shard))" : ""
            return ["stopped     early, \(stop.text)\(which): the figures cover what ran, not the whole run"]
        }
        let each = stopped.prefix(5).map { "\($0.0) \($0.1.text)" }.joined(separator: ", ") + (stopped.count > 5 ? ", ..." : "")
        return ["stopped     early: \(stopped.count) of \(shards.count) shards (\(each)): the fleet's figures cover less than the run"]
    }

    private var worstShardText: String {
        guard shards.count > 1, let worst = shards.max(by: { $0.kibibytesPerDevice < $1.kibibytesPerDevice }) else { return "" }
        return "; worst shard \(worst.shard): \(Int(worst.kibibytesPerDevice)) KiB a device, \(worst.residentMiB) MiB resident"
    }

    public var json: String { encoded([.prettyPrinted, .sortedKeys]) }

    /// The JSON on one line, for a log whose last line is the report (a Kubernetes pod's).
    public var jsonLine: String { encoded([.sortedKeys]) }

    private func encoded(_ formatting: JSONEncoder.OutputFormatting) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        // Numbers, strings, arrays and a dictionary of counts: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }
}

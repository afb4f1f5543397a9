import Foundation
import Histogram

/// `smartreader report merge`: the shards' reports made into the fleet's, as one process would have
/// written it: percentiles from the summed histograms, totals and errors summed, rates over the
/// common window (the first shard's start to the last shard's end), memory per shard kept.
extension FleetReport {
    /// A report and the file it came from, to name in errors.
    public struct Source: Sendable {
        public var path: String
        public var report: FleetReport

        public init(path: String, report: FleetReport) {
            self.path = path
            self.report = report
        }
    }

    /// Reads each path, or each `*.json` in it when it is a directory.
    public static func load(paths: [String]) throws(FleetError) -> [Source] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw .unreadableReport(path: path, reason: "no such file")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".json") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        var sources: [Source] = []
        for file in files { sources.append(Source(path: file, report: try read(file))) }
        return sources
    }

    private struct FormatVersion: Decodable {
        /// Reports before version 2 carried no version.
        var formatVersion: Int?
    }

    private static func read(_ path: String) throws(FleetError) -> FleetReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadableReport(path: path, reason: "cannot read it") }
        let decoder = JSONDecoder()
        let version: Int
        do { version = try decoder.decode(FormatVersion.self, from: data).formatVersion ?? 1 } catch {
            throw .unreadableReport(path: path, reason: "not a JSON object")
        }
        guard version == currentFormatVersion else {
            throw .otherFormatVersion(path: path, found: version, expected: currentFormatVersion)
        }
        let report: FleetReport
        do { report = try decoder.decode(FleetReport.self, from: data) } catch {
            throw .unreadableReport(path: path, reason: "\(error)")
        }
        if let problem = implausibility(of: report) { throw .unreadableReport(path: path, reason: problem) }
        return report
    }

    /// What `simulate` never writes: no shard, a count below zero or beyond any fleet (which
    /// would overflow the sums), more devices connected or events acknowledged than there are.
    private static func implausibility(of report: FleetReport) -> String? {
        let limit = 1 << 40
        let counts =
            [report.fleetDevices, report.devices, report.connected, report.eventsGiven, report.eventsAcknowledged]
            + report.shards.map(\.devices) + Array(report.errors.values)
        let histogramCounts = [report.histograms.tlsHandshake, report.histograms.connAck, report.histograms.publishToPuback]
            .flatMap(\.counts).compactMap { $0.last }
        if report.shards.isEmpty { return "it names no shard" }
        if let shard = report.shards.map(\.shard).first(where: { (try? FleetShard(index: $0.index, count: $0.count)) == nil }) {
            return "it names shard \(shard), which no simulate runs"
        }
        if counts.contains(where: { !(0...limit).contains($0) }) || histogramCounts.contains(where: { $0 > UInt64(limit) }) {
            return "it holds a count below zero or over 2^40: not a report `simulate` wrote"
        }
        if report.connected > report.devices || report.devices > report.fleetDevices || report.eventsAcknowledged > report.eventsGiven {
            return
                "its counts contradict one another (connected \(report.connected) of \(report.devices) devices in a fleet of \(report.fleetDevices), \(report.eventsAcknowledged) of \(report.eventsGiven) events acknowledged)"
        }
        return nil
    }

    /// The fleet's report from every shard's; an error names a shard missing or given twice, or a
    /// report from another fleet. `allowingMissing`: a shard without a report (failed, its pod and
    /// log gone) counts as stopped early with none of its devices connected, and the report says so.
    public static func merged(_ sources: [Source], allowingMissing: Bool = false) throws(FleetError) -> FleetReport {
        guard let first = sources.first, let shardCount = first.report.shards.first?.shard.count else { throw .noReports }
        var seen: [FleetShard: String] = [:]
        for source in sources {
            guard source.report.fleetDevices == first.report.fleetDevices else {
                throw .otherFleet(
                    path: source.path,
                    reason: "a fleet of \(source.report.fleetDevices) devices, \(first.path) of \(first.report.fleetDevices)")
            }
            for memory in source.report.shards {
                guard memory.shard.count == shardCount else {
                    throw .otherFleet(path: source.path, reason: "shard \(memory.shard), \(first.path) is one of \(shardCount)")
                }
                if let other = seen[memory.shard] { throw .shardTwice(memory.shard, paths: [other, source.path]) }
                seen[memory.shard] = source.path
            }
        }
        let missing = (0..<shardCount).map { try! FleetShard(index: $0, count: shardCount) }.filter { seen[$0] == nil }
        guard missing.isEmpty || allowingMissing else { throw .shardsMissing(missing) }
        // The shards of one run are at work at the same time: a report whose run, from its first
        // connection to its last event, shares no moment with another's is from another run (a
        // file left from last week's). Whole runs, not event phases: without --start-at, shards
        // started together on a busy machine may publish one after another.
        let latestStart = sources.max { $0.report.connectStartedAt < $1.report.connectStartedAt }!
        let earliestEnd = sources.min { $0.report.eventsEndedAt < $1.report.eventsEndedAt }!
        guard latestStart.report.connectStartedAt <= earliestEnd.report.eventsEndedAt else {
            throw .otherFleet(
                path: latestStart.path, reason: "it started after \(earliestEnd.path) had ended: the reports are of different runs")
        }
        // A shard that sent no event (stopped before its start, or none of its devices connected)
        // has no part in the fleet's event phase.
        let publishing = sources.filter { $0.report.eventsGiven > 0 }

        var tlsHandshake = FleetStatistics.histogram()
        var connAck = FleetStatistics.histogram()
        var puback = FleetStatistics.histogram()
        var errors: [String: Int] = [:]
        for source in sources {
            let histograms = source.report.histograms
            guard histograms.tlsHandshake.add(to: &tlsHandshake), histograms.connAck.add(to: &connAck),
                histograms.publishToPuback.add(to: &puback)
            else {
                throw .unreadableReport(path: source.path, reason: "a histogram pair is not [microseconds, count] from 1 µs to an hour")
            }
            errors.merge(source.report.errors, uniquingKeysWith: +)
        }
        let reports = sources.map(\.report)
        func sum(_ value: (FleetReport) -> Int) -> Int { reports.map(value).reduce(0, +) }
        let eventPhases = publishing.isEmpty ? reports : publishing.map(\.report)
        let window = Window(
            connectStartedAt: reports.map(\.connectStartedAt).min()!, connectEndedAt: reports.map(\.connectEndedAt).max()!,
            eventsStartedAt: eventPhases.map(\.eventsStartedAt).min()!, eventsEndedAt: eventPhases.map(\.eventsEndedAt).max()!)
        let absent = missing.map { shard in
            ShardSummary(
                shard: shard, devices: shard.deviceIndices(fleetDevices: first.report.fleetDevices).count, residentMiB: 0,
                kibibytesPerDevice: 0, stoppedEarly: .reportMissing)
        }
        return FleetReport(
            fleetDevices: first.report.fleetDevices, shards: reports.flatMap(\.shards) + absent, connected: sum(\.connected),
            window: window,
            tlsHandshake: tlsHandshake, connAck: connAck, puback: puback, eventsGiven: sum(\.eventsGiven),
            eventsAcknowledged: sum(\.eventsAcknowledged), errors: errors,
            eventPhaseCPUSeconds: reports.map(\.eventPhaseCPUSeconds).reduce(0, +))
    }
}

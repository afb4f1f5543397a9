import Foundation
import TestSupport
import Testing

@testable import Gateway

/// Sharded fleets: slices of serial numbers, and shard reports merged as one process would have reported.
@Suite("fleet shards and merged reports")
struct FleetMergeTests {
    private let broker = BrokerAddress(host: "localhost", port: 8883)

    private func plan(shard: FleetShard, devices: Int = 10) -> FleetPlan {
        FleetPlan(devices: devices, broker: broker, eventsPerSecond: 100, duration: .seconds(10), connectsPerSecond: 0, shard: shard)
    }

    /// A report of `statistics` for `shard`, through its JSON, as `report merge` reads it.
    private func report(
        _ statistics: FleetStatistics, shard: FleetShard, devices: Int = 10, window: FleetReport.Window, cpuSeconds: Double = 1,
        residentKiB: (before: Int, after: Int) = (10_000, 11_000)
    ) throws -> FleetReport {
        let report = FleetReport(
            plan: plan(shard: shard, devices: devices), statistics: statistics.snapshot, window: window,
            residentKiBBefore: residentKiB.before, residentKiBAfter: residentKiB.after, eventPhaseCPUSeconds: cpuSeconds)
        return try JSONDecoder().decode(FleetReport.self, from: Data(report.json.utf8))
    }

    private func window(_ start: Double, _ end: Double) -> FleetReport.Window {
        FleetReport.Window(connectStartedAt: start, connectEndedAt: start + 2, eventsStartedAt: start + 3, eventsEndedAt: end)
    }

    @Test("shards are disjoint, contiguous slices that together make the fleet, whatever the sizes")
    func slices() throws {
        for (devices, shards) in [(1000, 4), (10, 3), (100_000, 100), (7, 7)] {
            let slices = try (0..<shards).map { try FleetShard(index: $0, count: shards).deviceIndices(fleetDevices: devices) }
            #expect(slices.flatMap { Array($0) } == Array(0..<devices), "\(devices) devices in \(shards) shards")
            let serials = try (0..<shards).flatMap { index in
                let plan = plan(shard: try FleetShard(index: index, count: shards), devices: devices)
                return plan.deviceIndices.map(plan.serialNumber)
            }
            #expect(Set(serials).count == devices)
        }
        #expect(plan(shard: try FleetShard(parsing: "1/4"), devices: 1000).serialNumber(250) == "5F0000FA")
        #expect(plan(shard: try FleetShard(parsing: "1/4"), devices: 1000).shardEventsPerSecond == 25)
    }

    @Test("--shard K/N and the environment, with K from 0 as JOB_COMPLETION_INDEX counts")
    func shardNames() throws {
        #expect(try FleetShard(parsing: "3/4") == FleetShard(index: 3, count: 4))
        for bad in ["4/4", "-1/4", "1/0", "1", "a/b", "1/2/3"] {
            #expect(throws: FleetError.badShard(bad)) { try FleetShard(parsing: bad) }
        }
        #expect(
            try FleetShard.fromEnvironment(["JOB_COMPLETION_INDEX": "7", "SMARTREADER_SHARDS": "100"]) == FleetShard(index: 7, count: 100))
        #expect(
            try FleetShard.fromEnvironment(["SMARTREADER_SHARD": "2/3", "JOB_COMPLETION_INDEX": "7"]) == FleetShard(index: 2, count: 3))
        #expect(try FleetShard.fromEnvironment([:]) == nil)
        #expect(throws: FleetError.shardCountMissing(jobCompletionIndex: "7")) {
            try FleetShard.fromEnvironment(["JOB_COMPLETION_INDEX": "7"])
        }
        #expect(try FleetPlan.startTime("2026-12-01T09:00:00Z").timeIntervalSince1970 == 1_796_115_600)
        #expect(try FleetPlan.startTime("2026-12-01T09:00:00.250Z").timeIntervalSince1970 == 1_796_115_600.25)
        #expect(throws: FleetError.badStartTime("tomorrow")) { try FleetPlan.startTime("tomorrow") }
    }

    @Test("known latencies split over three shards merge into exactly the whole's histograms; totals and errors add up")
    func mergeIsExact() throws {
        var generator = SplitMix64(seed: 19)
        let whole = FleetStatistics()
        let shards = [FleetStatistics(), FleetStatistics(), FleetStatistics()]
        for index in 0..<5000 {
            // From 50 µs to about 3 s, unevenly over the shards.
            let latency = Duration.microseconds(Int(50 + generator.next() % 3_000_000 >> (generator.next() % 12)))
            let shard = shards[Int(generator.next() % 7) % 3]
            for statistics in [whole, shard] {
                if index % 10 == 0 { statistics.connected(tlsHandshake: latency / 2, connAck: latency) }
                statistics.given()
                statistics.acknowledged(after: latency)
            }
        }
        shards[0].error("connectTimeout", count: 2)
        shards[2].error("connectTimeout")
        shards[2].error("publishRefusedByBroker", count: 4)
        let reports = try (0..<3).map { index in
            FleetReport.Source(
                path: "shard-\(index).json",
                report: try report(
                    shards[index], shard: try FleetShard(index: index, count: 3), devices: 30,
                    window: window(100 + Double(index), 120 + Double(index)),
                    residentKiB: (10_000, 10_000 + 1000 * (index + 1))))
        }
        let merged = try FleetReport.merged(reports.reversed())
        let one = try report(whole, shard: .whole, devices: 30, window: window(100, 122))

        #expect(merged.histograms == one.histograms)
        #expect(merged.publishToPuback == one.publishToPuback && merged.connAck == one.connAck && merged.tlsHandshake == one.tlsHandshake)
        #expect(merged.publishToPuback.count == 5000 && merged.connected == 500)
        #expect(merged.eventsGiven == 5000 && merged.eventsAcknowledged == 5000)
        #expect(merged.errors == ["connectTimeout": 3, "publishRefusedByBroker": 4])
        // The common window: 100 s to 104 s for connections, 103 s to 122 s for events.
        #expect(merged.connectSeconds == 4 && merged.connectsPerSecond == 125)
        #expect(merged.eventsPerSecond == (5000.0 / 19 * 10).rounded() / 10)
        #expect(merged.eventPhaseCPUSeconds == 3 && merged.cpuMicrosecondsPerEvent == 600)
        #expect(merged.devices == 30 && merged.fleetDevices == 30 && merged.shards.map(\.shard.index) == [0, 1, 2])
        #expect(merged.shards.map(\.kibibytesPerDevice) == [100, 200, 300] && merged.kibibytesPerDevice == 200)
        #expect(
            merged.lines.last == "memory      35.1 MiB resident, 200 KiB a device; worst shard 2/3: 300 KiB a device, 12.7 MiB resident")
        // A merged report merges again like its shards.
        #expect(try FleetReport.merged([FleetReport.Source(path: "fleet.json", report: merged)]) == merged)
    }

    @Test("a shard missing, a shard twice, another fleet or another format version is an error that names it")
    func mergeRefusals() throws {
        let statistics = FleetStatistics()
        func shard(_ index: Int, of count: Int = 4, devices: Int = 8) throws -> FleetReport.Source {
            FleetReport.Source(
                path: "r\(index)-\(count).json",
                report: try report(statistics, shard: try FleetShard(index: index, count: count), devices: devices, window: window(0, 10)))
        }
        #expect(throws: FleetError.shardsMissing([try FleetShard(index: 1, count: 4), try FleetShard(index: 3, count: 4)])) {
            try FleetReport.merged([try shard(0), try shard(2)])
        }
        #expect(throws: FleetError.shardTwice(try FleetShard(index: 2, count: 4), paths: ["r2-4.json", "r2-4.json"])) {
            try FleetReport.merged([try shard(0), try shard(1), try shard(2), try shard(2), try shard(3)])
        }
        #expect(throws: FleetError.otherFleet(path: "r1-3.json", reason: "shard 1/3, r0-4.json is one of 4")) {
            try FleetReport.merged([try shard(0), try shard(1, of: 3)])
        }
        #expect(throws: FleetError.otherFleet(path: "r1-4.json", reason: "a fleet of 9 devices, r0-4.json of 8")) {
            try FleetReport.merged([try shard(0), try shard(1, devices: 9)])
        }
        #expect(throws: FleetError.noReports) { try FleetReport.merged([]) }
        let lastWeeks = FleetReport.Source(
            path: "old-r1-4.json",
            report: try report(statistics, shard: try FleetShard(index: 1, count: 4), devices: 8, window: window(-604_800, -604_790)))
        #expect(throws: FleetError.otherFleet(path: "r0-4.json", reason: "its events began after old-r1-4.json's had ended: the reports are of different runs")) {
            try FleetReport.merged([try shard(0), lastWeeks, try shard(2), try shard(3)])
        }
        #expect(FleetError.shardsMissing([try FleetShard(index: 1, count: 4)]).description.hasPrefix("no report for shard 1/4:"))

        let directory = NSTemporaryDirectory() + "fleet-merge-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for index in 0..<4 { try Data(try shard(index).report.json.utf8).write(to: URL(fileURLWithPath: "\(directory)/s\(index).json")) }
        #expect(try FleetReport.merged(FleetReport.load(paths: [directory])).shards.count == 4)
        // A report from before format version 2 carries no version and no histograms.
        let old = "\(directory)/s1.json"
        try Data(#"{"devices": 2, "connected": 2, "errors": {}}"#.utf8).write(to: URL(fileURLWithPath: old))
        #expect(throws: FleetError.otherFormatVersion(path: old, found: 1, expected: FleetReport.currentFormatVersion)) {
            try FleetReport.load(paths: [directory])
        }
        try Data("not json".utf8).write(to: URL(fileURLWithPath: old))
        #expect(throws: FleetError.unreadableReport(path: old, reason: "not a JSON object")) { try FleetReport.load(paths: [directory]) }

        // Hand-edited reports are refused before they are summed (a count near 2^63 crashed the merge).
        for (edit, reason) in [
            (#""eventsGiven" : 9223372036854775807"#, "it holds a count below zero or over 2^40"),
            (#""connected" : -3"#, "it holds a count below zero or over 2^40"),
            (#""connected" : 9"#, "its counts contradict one another"),
        ] {
            let field = String(edit.prefix { $0 != ":" })
            var json = try shard(1).report.json
            json = json.replacing(try Regex(#"\#(field): -?\d+"#), with: edit)
            try Data(json.utf8).write(to: URL(fileURLWithPath: old))
            #expect {
                try FleetReport.load(paths: [directory])
            } throws: { error in
                guard case FleetError.unreadableReport(let path, let found) = error else { return false }
                return path == old && found.hasPrefix(reason)
            }
        }
    }
}

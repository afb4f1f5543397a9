import Foundation
import Gateway
import TestSupport
import Testing

@testable import DevelopmentTools

/// Sharded fleets: slices of serial numbers, and shard reports merged as one process would have reported.
@Suite("fleet shards and merged reports")
struct FleetShardTests {
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
        for (bad, problem) in [
            ("4/4", "K must be below N: the last of 4 is 3/4"), ("-1/4", "K is below 0"), ("1/0", "N must be at least 1"),
            ("1", "not two whole numbers K/N"), ("a/b", "not two whole numbers K/N"), ("1/2/3", "not two whole numbers K/N"),
            ("0/16777217", "N is more than a fleet's 16777216 devices"),
        ] {
            #expect(throws: FleetError.badShard(bad, source: "--shard", problem: problem)) { try FleetShard(parsing: bad) }
        }
        #expect(
            FleetError.badShard("-1/4", source: "--shard", problem: "K is below 0").description
                == "--shard \"-1/4\" is not a shard: K is below 0; give K/N with 0 <= K < N, e.g. 0/4 for the first of four "
                + "(K counts from 0, as a Job's JOB_COMPLETION_INDEX does)")
        #expect(
            try FleetShard.fromEnvironment(["JOB_COMPLETION_INDEX": "7", "SMARTREADER_SHARDS": "100"]) == FleetShard(index: 7, count: 100))
        #expect(try FleetShard.fromEnvironment(["SMARTREADER_SHARD": "2/3"]) == FleetShard(index: 2, count: 3))
        // Named twice, or a count without an index (a Job that is not Indexed): which slice was meant is unknown.
        #expect(throws: FleetError.shardEnvironmentConflict(["SMARTREADER_SHARD=2/3", "JOB_COMPLETION_INDEX=7"])) {
            try FleetShard.fromEnvironment(["SMARTREADER_SHARD": "2/3", "JOB_COMPLETION_INDEX": "7"])
        }
        #expect(throws: FleetError.shardEnvironmentConflict(["SMARTREADER_SHARDS=4"])) {
            try FleetShard.fromEnvironment(["SMARTREADER_SHARDS": "4"])
        }
        #expect(try FleetShard.fromEnvironment([:]) == nil)
        #expect(throws: FleetError.shardCountMissing(jobCompletionIndex: "7")) {
            try FleetShard.fromEnvironment(["JOB_COMPLETION_INDEX": "7"])
        }
        #expect(
            throws: FleetError.badShard(
                "7/4", source: "JOB_COMPLETION_INDEX/SMARTREADER_SHARDS", problem: "K must be below N: the last of 4 is 3/4")
        ) {
            try FleetShard.fromEnvironment(["JOB_COMPLETION_INDEX": "7", "SMARTREADER_SHARDS": "4"])
        }
    }

    @Test("--start-at: UTC ending in Z to the second or the millisecond, at most 24 h ahead, not after its event phase would be over")
    func startTimes() throws {
        let now = Date(timeIntervalSince1970: 1_796_115_000)
        func start(_ text: String, duration: Duration = .seconds(300)) throws(FleetError) -> Double {
            try FleetPlan.startTime(text, now: now, duration: duration).timeIntervalSince1970
        }
        #expect(try start("2026-12-01T09:00:00Z") == 1_796_115_600)
        #expect(try start("2026-12-01T09:00:00.250Z") == 1_796_115_600.25)
        for bad in [
            "tomorrow", "2026-12-01T10:00:00+01:00", "2026-12-01T09:00:00", "2026-12-01t09:00:00z", "2026-12-01T09:00:00.25Z",
            "２０26-12-01T09:00:00Z", "2026-11-31T09:00:00Z", "2026-02-30T09:00:00Z", "2026-12-01T24:00:00Z", "2026-12-01T09:60:00Z",
        ] {
            #expect(throws: FleetError.badStartTime(bad)) { try start(bad) }
        }
        #expect(throws: FleetError.startTimeTooFarAhead("2026-12-02T09:00:00Z", seconds: 87_000)) { try start("2026-12-02T09:00:00Z") }
        #expect(try start("2026-12-02T08:40:00Z") == 1_796_200_800, "23 h 50 min ahead")
        // Begun 5 min ago: a 10 min event phase is still on, a 2 min one is over.
        #expect(try start("2026-12-01T08:45:00Z", duration: .seconds(600)) == 1_796_114_700)
        #expect(throws: FleetError.startTimeOver("2026-12-01T08:45:00Z", secondsAgo: 300, duration: 120)) {
            try start("2026-12-01T08:45:00Z", duration: .seconds(120))
        }
        #expect(
            FleetError.startTimeOver("2026-12-01T08:45:00Z", secondsAgo: 300, duration: 120).description.hasPrefix(
                "--start-at \"2026-12-01T08:45:00Z\" was 5 min ago: the fleet's event phase, begun then for --duration 120 s, is over"))
        #expect(FleetPlan.fleetDevice(serialNumber: "5f0000fa") == 250 && FleetPlan.fleetDevice(serialNumber: "5FFFFFFF") == 16_777_215)
        #expect(FleetPlan.fleetDevice(serialNumber: "5EFFFFFF") == nil && FleetPlan.fleetDevice(serialNumber: "+5F00000") == nil)
    }

    @Test("a run cut short by a signal exits as one ended by it would; other stops leave the status to their own rules")
    func signalExitStatus() {
        #expect(FleetEarlyStop(reason: "SIGINT", phase: "publishing", at: 1).signalExitStatus == 130)
        #expect(FleetEarlyStop(reason: "SIGTERM", phase: "waiting", at: 1).signalExitStatus == 143)
        #expect(FleetEarlyStop(reason: "sessionTakenOver", phase: "publishing", at: 1, clientID: "5F000001").signalExitStatus == nil)
        #expect(FleetEarlyStop.reportMissing.signalExitStatus == nil)
    }

    @Test("a shard stopped early is marked in its report and in the fleet's, printed and in the JSON")
    func stoppedEarly() throws {
        let statistics = FleetStatistics()
        let stop = FleetEarlyStop(reason: "SIGTERM", phase: "publishing", at: 105.5)
        let taken = FleetEarlyStop(reason: "sessionTakenOver", phase: "connecting", at: 101, clientID: "5F000009")
        func shard(_ index: Int, _ stoppedEarly: FleetEarlyStop?) throws -> FleetReport.Source {
            let report = FleetReport(
                plan: plan(shard: try FleetShard(index: index, count: 4), devices: 16), statistics: statistics.snapshot,
                window: window(100, 110), residentKiBBefore: 10_000, residentKiBAfter: 11_000, eventPhaseCPUSeconds: 1,
                stoppedEarly: stoppedEarly)
            return FleetReport.Source(
                path: "s\(index).json", report: try JSONDecoder().decode(FleetReport.self, from: Data(report.json.utf8)))
        }
        let one = try shard(1, stop).report
        #expect(one.stoppedEarly && one.shards[0].stoppedEarly == stop)
        #expect(
            one.lines.contains("stopped     early, by SIGTERM while publishing (shard 1/4): the figures cover what ran, not the whole run"))
        #expect(one.json.contains(#""stoppedEarly" : {"#) && one.json.contains(#""reason" : "SIGTERM""#))
        let whole = try shard(0, nil).report
        #expect(!whole.stoppedEarly && !whole.lines.contains { $0.hasPrefix("stopped") } && !whole.json.contains(#""stoppedEarly" : {"#))

        let merged = try FleetReport.merged([try shard(0, nil), try shard(1, stop), try shard(2, nil), try shard(3, taken)])
        #expect(merged.stoppedEarly && merged.shards.compactMap(\.stoppedEarly) == [stop, taken])
        #expect(
            merged.lines.contains(
                "stopped     early: 2 of 4 shards (1/4 by SIGTERM while publishing, 3/4 by the broker giving device 5F000009's "
                    + "session to another client with its client ID (sessionTakenOver) while connecting): the fleet's figures cover less than the run"
            ),
            "\(merged.lines)")
        let complete = try FleetReport.merged((0..<4).map { try shard($0, nil) })
        #expect(!complete.stoppedEarly && !complete.lines.contains { $0.hasPrefix("stopped") })
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

    @Test(
        "a shard that sent no event (stopped before --start-at) takes no part in the same-run check; --allow-missing merges what there is")
    func mergeWithoutEveryShardPublishing() throws {
        let publishing = FleetStatistics()
        for _ in 0..<5 { publishing.given() }
        func source(_ index: Int, _ statistics: FleetStatistics, _ window: FleetReport.Window) throws -> FleetReport.Source {
            FleetReport.Source(
                path: "r\(index).json", report: try report(statistics, shard: try FleetShard(index: index, count: 3), window: window))
        }
        // Stopped while waiting for the common start: its event phase is the moment it stopped, before the others'.
        let stoppedBeforeStart = try source(
            1, FleetStatistics(), FleetReport.Window(connectStartedAt: 90, connectEndedAt: 92, eventsStartedAt: 95, eventsEndedAt: 95))
        let started = FleetReport.Window(connectStartedAt: 90, connectEndedAt: 92, eventsStartedAt: 100, eventsEndedAt: 110)
        let others = [try source(0, publishing, started), try source(2, publishing, started)]
        let merged = try FleetReport.merged([others[0], stoppedBeforeStart, others[1]])
        #expect(merged.eventsGiven == 10)
        #expect(merged.eventsStartedAt == 100 && merged.eventsEndedAt == 110, "the event window of the shards that published")
        // Started together without --start-at, on a busy machine: one shard publishes after another has finished.
        let late = try source(
            2, publishing, FleetReport.Window(connectStartedAt: 91, connectEndedAt: 111, eventsStartedAt: 112, eventsEndedAt: 122))
        #expect(try FleetReport.merged([others[0], stoppedBeforeStart, late]).eventsEndedAt == 122)

        #expect(throws: FleetError.shardsMissing([try FleetShard(index: 1, count: 3)])) { try FleetReport.merged(others) }
        let partial = try FleetReport.merged(others, allowingMissing: true)
        #expect(partial.shards.map(\.shard) == (0..<3).map { try! FleetShard(index: $0, count: 3) })
        #expect(partial.shards[1].stoppedEarly == .reportMissing && partial.shards[1].devices == 3 && partial.stoppedEarly)
        #expect(partial.devices == 10 && partial.connected == 0)
        #expect(partial.lines.contains { $0.contains("1/3 without a report") }, "\(partial.lines)")
    }

    @Test("a shard missing, a shard twice, another fleet or another format version is an error that names it")
    func mergeRefusals() throws {
        let statistics = FleetStatistics()
        for _ in 0..<5 { statistics.given() }
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
        #expect(
            throws: FleetError.otherFleet(
                path: "r0-4.json", reason: "it started after old-r1-4.json had ended: the reports are of different runs")
        ) {
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

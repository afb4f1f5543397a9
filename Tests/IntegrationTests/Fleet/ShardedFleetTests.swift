import DevelopmentTools
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
        try await BrokerFixture.with(slots: 3) { fixture in
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
        try await BrokerFixture.with(slots: 3) { fixture in
            try FileManager.default.createDirectory(atPath: fixture.directory + "/reports", withIntermediateDirectories: true)
            // Pre-enrolled: the shards get no PKI, only the directory holding their devices.
            let fleet = FleetDirectory(directory: fixture.directory + "/fleet")
            let plan = FleetPlan(
                devices: devicesPerShard * shards, broker: fixture.address, eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0)
            _ = try await fleet.prepare(
                plan, from: .issuing(fixture.pki), profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
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

    @Test("the same shard started twice: the one whose sessions the other takes stops early, naming the cause; the merge names both")
    func sameShardTwice() async throws {
        try await BrokerFixture.with { fixture in
            let reports = fixture.directory + "/reports"
            try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
            let fleet = FleetDirectory(directory: fixture.directory + "/fleet")
            let plan = FleetPlan(
                devices: 8, broker: fixture.address, eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0,
                shard: try FleetShard(parsing: "0/2"))
            _ = try await fleet.prepare(
                plan, from: .issuing(fixture.pki), profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            ) { _, _ in }
            func start(_ name: String, seconds: Int) throws -> Subscriber {
                try fixture.spawn(
                    binary,
                    [
                        "simulate", "--devices", "8", "--shard", "0/2", "--fleet-directory", fleet.directory, "--broker",
                        "localhost:\(fixture.broker.port)", "--rate", "8", "--duration", String(seconds), "--connect-rate", "0", "--json",
                        "\(reports)/\(name).json",
                    ])
            }
            let first = try start("first", seconds: 120)
            try await first.waitFor("the first one's devices publishing", timeout: .seconds(60)) {
                $0.lines.contains { $0.contains("publishing: connected 4/4") }
            }
            let second = try start("second", seconds: 3)
            // Its devices' sessions go to the second one's: it stops at once, not after its 120 s.
            let status = try await first.waitForExit(timeout: .seconds(40))
            let output = first.lines.joined(separator: "\n")
            #expect(status != 0 && output.contains("session taken over") && output.contains("shard 0/2"), "\(output)")
            _ = try await second.waitForExit(timeout: .seconds(60))
            let firstReport =
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reports + "/first.json"))) as? [String: Any]
            let stop = ((firstReport?["shards"] as? [[String: Any]])?.first?["stoppedEarly"]) as? [String: Any]
            #expect(
                firstReport?["stoppedEarly"] as? Bool == true && stop?["reason"] as? String == "sessionTakenOver"
                    && stop?["clientID"] as? String != nil, "\(firstReport ?? [:])")

            let merge = try await runTool(binary, ["report", "merge", reports])
            #expect(
                merge.status != 0 && merge.output.contains("shard 0/2 is in more than one report")
                    && merge.output.contains("first.json") && merge.output.contains("second.json"), "\(merge.output)")
        }
    }

    @Test(
        "pre-enrolled identities from a read-only directory laid out as a Kubernetes Secret, as the pod's user; a key all can read is refused"
    )
    func identitiesFromASecret() async throws {
        try await BrokerFixture.with { fixture in
            let devices = 5
            let serials = (0..<devices).map { String(format: "%08X", 0x5F00_0000 + $0) }
            var files = ["root.crt": try String(contentsOfFile: fixture.pki.rootCertificatePath, encoding: .utf8)]
            for serial in serials {
                let identity = try fixture.pki.issue(role: .device, commonName: serial, registering: false)
                files[serial + ".crt"] = identity.certificatePEM + identity.issuerPEM
                files[serial + ".key"] = identity.privateKeyPEM
            }
            // As the pod's user (65534 here, when the suite runs as root), in the pod's group, which
            // the kubelet gives the Secret's files (fsGroup): root's, 0440, read-only.
            let asRoot = geteuid() == 0
            let secret = fixture.directory + "/identities"
            try writeSecretVolume(at: secret, files: files, mode: 0o440, group: asRoot ? 65534 : nil)
            let fleet = fixture.directory + "/fleet"
            try FileManager.default.createDirectory(atPath: fleet, withIntermediateDirectories: true)
            var command = [
                binary, "simulate", "--devices", String(devices), "--identities", secret, "--fleet-directory", fleet, "--broker",
                "localhost:\(fixture.broker.port)", "--rate", "10", "--duration", "1", "--connect-rate", "0",
            ]
            if asRoot {
                #expect(try await runTool("/bin/chown", ["65534:65534", fleet]).status == 0)
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fixture.directory)
                command = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
            }
            let before = try FileManager.default.subpathsOfDirectory(atPath: secret).sorted()
            let run = try await runTool(command[0], Array(command.dropFirst()))
            #expect(run.status == 0 && run.output.contains("devices     \(devices) of \(devices) connected"), "\(run.output)")
            #expect(try FileManager.default.subpathsOfDirectory(atPath: secret).sorted() == before, "nothing written there")
            let key = fleet + "/5F000000/slots/key-0D.pem"
            #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)

            // Kubernetes' default mode, 0644: every user of the node's containers could read the keys.
            let open = fixture.directory + "/identities-0644"
            try writeSecretVolume(at: open, files: files, mode: 0o644, group: nil)
            let refused = try await runTool(
                binary,
                [
                    "simulate", "--devices", String(devices), "--identities", open, "--fleet-directory", fixture.directory + "/fleet-2",
                    "--broker", "localhost:\(fixture.broker.port)",
                ])
            #expect(
                refused.status != 0 && refused.output.contains("5F000000.key") && refused.output.contains("readable by all users")
                    && refused.output.contains("defaultMode"), "\(refused.output)")
            // 0400 without fsGroup: root's alone, unreadable to the pod's user. Said as that, not as a missing file.
            let rootsOnly = fixture.directory + "/identities-0400"
            try writeSecretVolume(at: rootsOnly, files: files, mode: 0o400, group: nil)
            if asRoot {
                let unreadable = try await runTool(
                    "/usr/bin/setpriv",
                    [
                        "--reuid=65534", "--regid=65534", "--clear-groups", binary, "simulate", "--devices", String(devices),
                        "--identities",
                        rootsOnly, "--fleet-directory", fleet, "--broker", "localhost:\(fixture.broker.port)",
                    ])
                #expect(
                    unreadable.status != 0 && unreadable.output.contains("Permission denied")
                        && unreadable.output.contains("owned by uid 0") && !unreadable.output.contains("no such file"),
                    "\(unreadable.output)")
            }
            // Writable again, for the fixture to remove them.
            for directory in [secret, open, rootsOnly] {
                for path in [directory, directory + "/" + Self.secretTimestamp] {
                    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
                }
            }
        }
    }

    /// `files` as the kubelet lays out a Secret volume: in a timestamped directory that `..data`
    /// links to, each name a link into `..data`; files `mode`, owned by root and `group` when given,
    /// directories read-only.
    private static let secretTimestamp = "..2026_12_01_09_00_00.123456789"

    private func writeSecretVolume(at path: String, files: [String: String], mode: Int, group: Int?) throws {
        let timestamped = Self.secretTimestamp
        try FileManager.default.createDirectory(atPath: path + "/" + timestamped, withIntermediateDirectories: true)
        for (name, content) in files {
            try content.write(toFile: "\(path)/\(timestamped)/\(name)", atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: "\(path)/\(timestamped)/\(name)")
            try FileManager.default.createSymbolicLink(atPath: "\(path)/\(name)", withDestinationPath: "..data/\(name)")
        }
        try FileManager.default.createSymbolicLink(atPath: path + "/..data", withDestinationPath: timestamped)
        if let group {
            guard chown(path, 0, gid_t(group)) == 0, chown(path + "/" + timestamped, 0, gid_t(group)) == 0 else {
                throw FixtureError("chown \(path): \(String(cString: strerror(errno)))")
            }
            for name in files.keys where chown("\(path)/\(timestamped)/\(name)", 0, gid_t(group)) != 0 {
                throw FixtureError("chown \(name): \(String(cString: strerror(errno)))")
            }
        }
        for directory in [path + "/" + timestamped, path] {
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory)
        }
    }
}

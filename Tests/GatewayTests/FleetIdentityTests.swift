import DeviceIdentity
import Foundation
import SpringCore
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// A shard's identities: issued in parallel from a PKI that is only read, or taken as they are.
@Suite("a shard's device identities")
struct FleetIdentityTests {
    private func withPKI(_ body: (DevelopmentPKI, String) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "fleet-identity-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await body(try DevelopmentPKI.create(at: directory + "/pki"), directory)
    }

    @Test("shard 1/3 issues only its own devices, CN = serial, on several threads, and leaves the PKI's files as they were")
    func issuesItsOwnDevices() async throws {
        try await withPKI { pki, directory in
            let before = try FileManager.default.contentsOfDirectory(atPath: pki.directory).sorted().map {
                ($0, FileManager.default.contents(atPath: pki.directory + "/" + $0))
            }
            let plan = FleetPlan(
                devices: 60, broker: BrokerAddress(host: "localhost", port: 8883), eventsPerSecond: 0, duration: .zero,
                connectsPerSecond: 0, shard: try FleetShard(parsing: "1/3"))
            let fleet = FleetDirectory(directory: directory + "/fleet")
            let heard = Counter()
            let states = try await fleet.prepare(
                plan, pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            ) { made, missing in
                heard.hear(made: made, of: missing)
            }

            #expect(states.map { ($0.path as NSString).lastPathComponent } == (20..<40).map(plan.serialNumber))
            #expect(try FileManager.default.contentsOfDirectory(atPath: fleet.directory).sorted() == (20..<40).map(plan.serialNumber))
            for state in states {
                let files = state.identityFiles(.provisioned)
                #expect(try CertificateFile(path: files.certificate).commonName == (state.path as NSString).lastPathComponent)
            }
            #expect(heard.values == Set(1...20) && heard.missing == [20], "progress heard each new device once")
            let after = try FileManager.default.contentsOfDirectory(atPath: pki.directory).sorted().map {
                ($0, FileManager.default.contents(atPath: pki.directory + "/" + $0))
            }
            #expect(after.map(\.0) == before.map(\.0) && after.map(\.1) == before.map(\.1), "nothing written to the PKI")

            // Made once: a second run reuses them, and needs no PKI at all.
            let reused = try await fleet.prepare(
                plan, pki: nil, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            ) { _, _ in
                Issue.record("nothing new to make")
            }
            #expect(reused.count == 20)
            let other = FleetPlan(
                devices: 60, broker: plan.broker, eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0,
                shard: try FleetShard(parsing: "2/3"))
            await #expect(throws: FleetError.identitiesMissing(count: 20, firstSerial: "5F000028", directory: fleet.directory)) {
                try await fleet.prepare(other, pki: nil, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
                { _, _ in }
            }
        }
    }
}

/// What the progress callback heard, from any thread.
private final class Counter: Sendable {
    private let state = Mutex<(values: Set<Int>, missing: Set<Int>)>(([], []))
    func hear(made: Int, of missing: Int) {
        state.withLock {
            $0.values.insert(made); $0.missing.insert(missing)
        }
    }
    var values: Set<Int> { state.withLock { $0.values } }
    var missing: Set<Int> { state.withLock { $0.missing } }
}

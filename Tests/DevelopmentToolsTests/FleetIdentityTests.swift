import DeviceIdentity
import Foundation
import Gateway
import SpringCore
import Synchronization
import TestSupport
import Testing

@testable import DevelopmentTools

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
                plan, from: .issuing(pki), profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
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
                plan, from: .present, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            ) { _, _ in
                Issue.record("nothing new to make")
            }
            #expect(reused.count == 20)
            let other = FleetPlan(
                devices: 60, broker: plan.broker, eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0,
                shard: try FleetShard(parsing: "2/3"))
            await #expect(throws: FleetError.identitiesMissing(count: 20, firstSerial: "5F000028", directory: fleet.directory)) {
                try await fleet.prepare(
                    other, from: .present, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
                ) { _, _ in }
            }
        }
    }

    @Test("devices an earlier PKI issued (a new CA in the same directory since) are refused, naming the cause and the fix")
    func identitiesOfAnEarlierPKI() async throws {
        try await withPKI { pki, directory in
            let plan = FleetPlan(
                devices: 6, broker: BrokerAddress(host: "localhost", port: 8883), eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0)
            let fleet = FleetDirectory(directory: directory + "/fleet")
            let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            _ = try await fleet.prepare(plan, from: .issuing(pki), profile: profile) { _, _ in }
            // `pki init` again: a new root and Client CA, which the broker trusts from now on.
            try FileManager.default.removeItem(atPath: pki.directory)
            let again = try DevelopmentPKI.create(at: pki.directory)
            await #expect {
                try await fleet.prepare(plan, from: .issuing(again), profile: profile) { _, _ in }
            } throws: { error in
                let text = "\(error)"
                return text.contains("6 of this shard's devices") && text.contains("5F000000")
                    && text.contains(again.authorityCertificatePath(for: .device)) && text.contains("made anew")
                    && text.contains("rm -r \(fleet.directory)")
            }
            // Issued by this PKI: taken as they are.
            try FileManager.default.removeItem(atPath: fleet.directory)
            _ = try await fleet.prepare(plan, from: .issuing(again), profile: profile) { _, _ in }
            _ = try await fleet.prepare(plan, from: .issuing(again), profile: profile) { _, _ in Issue.record("nothing new to make") }
        }
    }

    @Test("a Client CA key anyone can read (a Secret at Kubernetes' default mode) is refused before a device is issued with it")
    func readableClientAuthorityKey() async throws {
        try await withPKI { pki, directory in
            let plan = FleetPlan(
                devices: 2, broker: BrokerAddress(host: "localhost", port: 8883), eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0)
            let fleet = FleetDirectory(directory: directory + "/fleet")
            let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            let key = pki.directory + "/client-ca.key"
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
            await #expect {
                try await fleet.prepare(plan, from: .issuing(pki), profile: profile) { _, _ in }
            } throws: { error in
                "\(error)".contains(key) && "\(error)".contains("readable by all users")
            }
            #expect(!FileManager.default.fileExists(atPath: fleet.directory + "/5F000000"), "no device issued")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
            _ = try await fleet.prepare(plan, from: .issuing(pki), profile: profile) { _, _ in }
        }
    }

    @Test("pre-enrolled identities: each device made beside them once, made again when its identity changes; a wrong one is named")
    func enrolledIdentities() async throws {
        try await withPKI { pki, directory in
            let plan = FleetPlan(
                devices: 3, broker: BrokerAddress(host: "localhost", port: 8883), eventsPerSecond: 0, duration: .zero, connectsPerSecond: 0)
            let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
            let identities = FleetEnrolledIdentities(directory: directory + "/identities")
            try FileManager.default.createDirectory(atPath: identities.directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: pki.rootCertificatePath, toPath: identities.directory + "/root.crt")
            func enrol(_ serial: String, commonName: String? = nil, alone: Bool = false) throws {
                let issued = try pki.issue(role: .device, commonName: commonName ?? serial, registering: false)
                try (issued.certificatePEM + (alone ? "" : issued.issuerPEM)).write(
                    toFile: identities.certificatePath(serial), atomically: true, encoding: .utf8)
                try issued.privateKeyPEM.write(toFile: identities.keyPath(serial), atomically: true, encoding: .utf8)
                chmod(identities.keyPath(serial), 0o400)
            }
            let serials = (0..<3).map(plan.serialNumber)
            for serial in serials { try enrol(serial) }
            let fleet = FleetDirectory(directory: directory + "/fleet")
            let heard = Counter()
            _ = try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { heard.hear(made: $0, of: $1) }
            #expect(heard.missing == [3])
            let files = fleet.state(serialNumber: serials[1]).identityFiles(.provisioned)
            #expect(try FileManager.default.attributesOfItem(atPath: files.key)[.posixPermissions] as? Int == 0o600)
            _ = try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { _, _ in Issue.record("nothing new to make") }

            try enrol(serials[1])
            let again = Counter()
            _ = try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { again.hear(made: $0, of: $1) }
            #expect(again.missing == [1], "only the device whose identity changed")
            #expect(
                FileManager.default.contents(atPath: files.certificate)
                    == FileManager.default.contents(atPath: identities.certificatePath(serials[1])))

            try enrol(serials[2], commonName: "5F0000AA")
            await #expect {
                try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { _, _ in }
            } throws: { error in
                "\(error)"
                    == "\(identities.certificatePath(serials[2])) names CN 5F0000AA, not 5F000002: a device's CN is its serial number"
            }
            try enrol(serials[2], alone: true)
            await #expect {
                try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { _, _ in }
            } throws: { error in "\(error)".contains("holds the device's certificate alone") }
            try FileManager.default.removeItem(atPath: identities.keyPath(serials[2]))
            await #expect {
                try await fleet.prepare(plan, from: .enrolled(identities), profile: profile) { _, _ in }
            } throws: { error in "\(error)".hasPrefix("\(identities.certificatePath(serials[2])) or its .key is missing") }
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

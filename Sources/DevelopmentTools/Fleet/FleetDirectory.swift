import DeviceIdentity
import Foundation
import Gateway
import SpringCore

/// Where a shard's device identities come from.
public enum FleetIdentitySource: Sendable {
    /// Issued here, those not made yet, from a development PKI (`pki init`) that may be read-only.
    case issuing(DevelopmentPKI)
    /// Pre-enrolled certificates and keys in a directory that may be read-only (a Kubernetes Secret).
    case enrolled(FleetEnrolledIdentities)
    /// Already in the fleet directory, each a device state directory (`smartreader create` and `enroll`).
    case present
}

/// The fleet's devices on disk, one state directory each under `directory`, made once and reused
/// by later runs (a key and certificate each takes most of the time).
public struct FleetDirectory: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func state(serialNumber: String) -> DeviceStateDirectory {
        DeviceStateDirectory(path: (directory as NSString).appendingPathComponent(serialNumber))
    }

    /// This shard's devices, making those that `source` says are to be made, on every core;
    /// `progress` hears each new one, from any thread. The broker address is not stored: the run
    /// passes it, so one fleet serves any broker.
    public func prepare(
        _ plan: FleetPlan, from source: FleetIdentitySource, profile: DeviceProfile, stop: FleetStopRequest = FleetStopRequest(),
        progress: @escaping @Sendable (_ made: Int, _ missing: Int) -> Void
    ) async throws -> [DeviceStateDirectory] {
        let serials = plan.deviceIndices.map(plan.serialNumber)
        let states = serials.map { state(serialNumber: $0) }
        func isMade(_ serial: String) -> Bool { FileManager.default.fileExists(atPath: state(serialNumber: serial).file("factory.json")) }
        let toMake: [String]
        let make: @Sendable (_ serial: String, _ state: DeviceStateDirectory) throws -> Void
        switch source {
        case .present:
            let missing = serials.filter { !isMade($0) }
            guard missing.isEmpty else {
                throw FleetError.identitiesMissing(count: missing.count, firstSerial: missing[0], directory: directory)
            }
            return states
        case .issuing(let pki):
            // The Client CA's key signs every device: it is judged as a device's key would be.
            for (name, isKey) in [("root.crt", false), ("client-ca.crt", false), ("client-ca.key", true)] {
                try FleetSourceFile.check((pki.directory as NSString).appendingPathComponent(name), isKey: isKey)
            }
            let issuer = try FleetIssuerCheck(pki: pki)
            let strangers = serials.filter { isMade($0) && !issuer.issued(state(serialNumber: $0)) }
            guard strangers.isEmpty else {
                throw FleetError.identitiesOfAnotherAuthority(
                    count: strangers.count, firstSerial: strangers[0], directory: directory, authority: issuer.authorityPath)
            }
            toMake = serials.filter { !isMade($0) }
            let provisioning = DeviceProvisioning(pki: pki, profile: profile)
            make = { serial, state in
                try provisioning.provision(
                    state: state, serialNumber: serial, broker: BrokerAddress(host: "localhost", port: nil), registeringName: false)
            }
        case .enrolled(let identities):
            try identities.checkFiles(serials: serials)
            toMake = serials.filter { !identities.isInstalled(serial: $0, in: state(serialNumber: $0)) }
            make = { serial, state in try identities.install(serial: serial, into: state, profile: profile) }
        }
        guard !toMake.isEmpty else { return states }
        try await FleetDeviceMaking(directory: self, makeDevice: make).make(serials: toMake, stop: stop, progress: progress)
        return states
    }
}

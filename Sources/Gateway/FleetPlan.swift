import DeviceIdentity
import Foundation
import MQTT
import SpringCore
import TagReaders

/// What `smartreader simulate` runs: how many devices, against which broker, at what pace.
public struct FleetPlan: Sendable {
    public var devices: Int
    public var broker: BrokerAddress
    /// Events a second across the whole fleet.
    public var eventsPerSecond: Double
    public var duration: Duration
    public var connectsPerSecond: Double
    public var protocolVersion: MQTTProtocolVersion
    /// Events cycle through this trace's; without one, every event is a new NFC-A tag.
    public var trace: Trace?
    /// The first device's serial number; the others follow it.
    public var firstSerial: UInt32

    public init(
        devices: Int, broker: BrokerAddress, eventsPerSecond: Double, duration: Duration, connectsPerSecond: Double,
        protocolVersion: MQTTProtocolVersion = .v5, trace: Trace? = nil, firstSerial: UInt32 = 0x5F00_0000
    ) {
        self.devices = devices
        self.broker = broker
        self.eventsPerSecond = eventsPerSecond
        self.duration = duration
        self.connectsPerSecond = connectsPerSecond
        self.protocolVersion = protocolVersion
        self.trace = trace
        self.firstSerial = firstSerial
    }

    public func serialNumber(_ index: Int) -> String {
        Hex.encode(withUnsafeBytes(of: (firstSerial &+ UInt32(index)).bigEndian, Array.init))
    }

    /// The event handed to a device as the fleet's `sequence`-th.
    public func event(_ sequence: Int) -> TagEvent {
        if let trace, !trace.entries.isEmpty { return trace.entries[sequence % trace.entries.count].event }
        let uid = withUnsafeBytes(of: UInt64(sequence).bigEndian) { [0x04] + Array($0.suffix(6)) }
        return TagEvent(tagID: Hex.encode(uid), protocolName: "NFC-A", move: .insert, tagDetails: "simulated")
    }
}

/// The fleet's devices on disk, one state directory each under `directory`, made once from the
/// development PKI and reused by later runs (a key and certificate each takes most of the time).
public struct FleetDirectory: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func state(serialNumber: String) -> DeviceStateDirectory {
        DeviceStateDirectory(path: (directory as NSString).appendingPathComponent(serialNumber))
    }

    /// Makes the devices the plan names that are not there yet; `progress` hears each new one.
    /// The broker address is not stored: the run passes it, so one fleet serves any broker.
    public func prepare(
        _ plan: FleetPlan, pki: DevelopmentPKI, profile: DeviceProfile, progress: (_ made: Int, _ missing: Int) -> Void
    ) throws -> [DeviceStateDirectory] {
        let states = (0..<plan.devices).map { state(serialNumber: plan.serialNumber($0)) }
        let missing = states.enumerated().filter { !FileManager.default.fileExists(atPath: $0.element.file("factory.json")) }
        let provisioning = DeviceProvisioning(pki: pki, profile: profile)
        for (made, (index, state)) in missing.enumerated() {
            try provisioning.provision(
                state: state, serialNumber: plan.serialNumber(index), broker: BrokerAddress(host: "localhost", port: nil))
            progress(made + 1, missing.count)
        }
        return states
    }
}

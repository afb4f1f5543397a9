import DeviceIdentity
import Foundation
import MQTT
import SpringCore
import TagReaders

/// What `smartreader simulate` runs: how many devices, against which broker, at what pace, and
/// which shard of the fleet this process holds.
public struct FleetPlan: Sendable {
    /// The whole fleet's size, over every shard.
    public var devices: Int
    public var broker: BrokerAddress
    /// Events a second across the whole fleet; each shard gives its devices' share.
    public var eventsPerSecond: Double
    public var duration: Duration
    public var connectsPerSecond: Double
    public var protocolVersion: MQTTProtocolVersion
    /// Events cycle through this trace's; without one, every event is a new NFC-A tag.
    public var trace: Trace?
    /// The first device's serial number; the others follow it.
    public var firstSerial: UInt32
    public var shard: FleetShard
    /// When every shard begins its event phase; nil: as soon as this one's devices have connected.
    public var eventsStartAt: Date?

    public init(
        devices: Int, broker: BrokerAddress, eventsPerSecond: Double, duration: Duration, connectsPerSecond: Double,
        protocolVersion: MQTTProtocolVersion = .v5, trace: Trace? = nil, firstSerial: UInt32 = 0x5F00_0000,
        shard: FleetShard = .whole, eventsStartAt: Date? = nil
    ) {
        self.devices = devices
        self.broker = broker
        self.eventsPerSecond = eventsPerSecond
        self.duration = duration
        self.connectsPerSecond = connectsPerSecond
        self.protocolVersion = protocolVersion
        self.trace = trace
        self.firstSerial = firstSerial
        self.shard = shard
        self.eventsStartAt = eventsStartAt
    }

    /// `--start-at`: an ISO 8601 time with its offset, e.g. 2026-12-01T09:00:00Z or 2026-12-01T09:00:00.250Z.
    public static func startTime(_ text: String) throws(FleetError) -> Date {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions.insert(.withFractionalSeconds)
        guard let date = formatter.date(from: text) else { throw .badStartTime(text) }
        return date
    }

    /// The fleet-wide numbers of this shard's devices.
    public var deviceIndices: Range<Int> { shard.deviceIndices(fleetDevices: devices) }

    /// This shard's share of the fleet's event rate.
    public var shardEventsPerSecond: Double { devices > 0 ? eventsPerSecond * Double(deviceIndices.count) / Double(devices) : 0 }

    /// The serial number of the fleet's `index`-th device.
    public func serialNumber(_ index: Int) -> String {
        Hex.encode(withUnsafeBytes(of: (firstSerial &+ UInt32(truncatingIfNeeded: index)).bigEndian, Array.init))
    }

    /// The event handed to a device as this shard's `sequence`-th; invented tags differ across shards.
    public func event(_ sequence: Int) -> TagEvent {
        if let trace, !trace.entries.isEmpty { return trace.entries[sequence % trace.entries.count].event }
        let number = UInt64(sequence) &* UInt64(shard.count) &+ UInt64(shard.index)
        let uid = withUnsafeBytes(of: number.bigEndian) { [0x04] + Array($0.suffix(6)) }
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

    /// This shard's devices, making those not there yet from `pki` (nil: all must be there, e.g.
    /// enrolled from the operator's own PKI) on every core; `progress` hears each new one, from
    /// any thread. The broker address is not stored: the run passes it, so one fleet serves any broker.
    public func prepare(
        _ plan: FleetPlan, pki: DevelopmentPKI?, profile: DeviceProfile,
        progress: @escaping @Sendable (_ made: Int, _ missing: Int) -> Void
    ) async throws -> [DeviceStateDirectory] {
        let serials = plan.deviceIndices.map(plan.serialNumber)
        let states = serials.map { state(serialNumber: $0) }
        let missing = serials.filter { !FileManager.default.fileExists(atPath: state(serialNumber: $0).file("factory.json")) }
        guard !missing.isEmpty else { return states }
        guard let pki else { throw FleetError.identitiesMissing(count: missing.count, firstSerial: missing[0], directory: directory) }
        try await FleetIdentityIssuing(provisioning: DeviceProvisioning(pki: pki, profile: profile), directory: self)
            .issue(serials: missing, progress: progress)
        return states
    }
}

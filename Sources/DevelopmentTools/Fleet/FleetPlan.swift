import Foundation
import Gateway
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
    public var shard: FleetShard
    /// When every shard begins its event phase; nil: as soon as this one's devices have connected.
    public var eventsStartAt: Date?

    public init(
        devices: Int, broker: BrokerAddress, eventsPerSecond: Double, duration: Duration, connectsPerSecond: Double,
        protocolVersion: MQTTProtocolVersion = .v5, trace: Trace? = nil, shard: FleetShard = .whole, eventsStartAt: Date? = nil
    ) {
        self.devices = devices
        self.broker = broker
        self.eventsPerSecond = eventsPerSecond
        self.duration = duration
        self.connectsPerSecond = connectsPerSecond
        self.protocolVersion = protocolVersion
        self.trace = trace
        self.shard = shard
        self.eventsStartAt = eventsStartAt
    }

    /// The serial numbers (= client IDs = certificate CNs) of a fleet's devices, in order. No
    /// device of one's own gets one (`pki provision`, `pki issue` refuse them): it would take a
    /// fleet device's session on a broker both use, or lose its own.
    public static let serialNumbers: ClosedRange<UInt32> = 0x5F00_0000...0x5FFF_FFFF
    public static let maximumDevices = serialNumbers.count

    /// The serial number of the fleet's `index`-th device, `index` below `maximumDevices`.
    public static func serialNumber(at index: Int) -> String {
        Hex.encode(withUnsafeBytes(of: (serialNumbers.lowerBound + UInt32(index)).bigEndian, Array.init))
    }

    /// Which fleet device `serialNumber` (8 hex digits, either case) names; nil when none does.
    public static func fleetDevice(serialNumber: String) -> Int? {
        guard serialNumber.utf8.count == 8, serialNumber.allSatisfy(\.isHexDigit), let value = UInt32(serialNumber, radix: 16),
            serialNumbers.contains(value)
        else { return nil }
        return Int(value - serialNumbers.lowerBound)
    }

    /// How far ahead `--start-at` may be: further is taken for a date typed wrong.
    public static let longestWaitForStart: TimeInterval = 86_400

    /// `--start-at`: a UTC time in ISO 8601's extended form ending in Z, to the second or the
    /// millisecond (2026-12-01T09:00:00Z, 2026-12-01T09:00:00.250Z). An offset (+01:00) is refused
    /// rather than converted: the shards of one run must name one instant, and a zone is a common
    /// slip. Refused too: more than `longestWaitForStart` ahead, and a start so long past that the
    /// fleet's event phase, begun then for `duration`, is over (a value left from an earlier run).
    public static func startTime(_ text: String, now: Date, duration: Duration) throws(FleetError) -> Date {
        let form = #/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z/#
        let formatter = ISO8601DateFormatter()
        if text.contains(".") { formatter.formatOptions.insert(.withFractionalSeconds) }
        // Written back, the date must read as given: the parser rolls 2026-11-31 over to December 1.
        guard text.wholeMatch(of: form) != nil, let date = formatter.date(from: text), formatter.string(from: date) == text else {
            throw .badStartTime(text)
        }
        let ahead = date.timeIntervalSince(now)
        if ahead > longestWaitForStart { throw .startTimeTooFarAhead(text, seconds: ahead) }
        let seconds = Double(duration / .milliseconds(1)) / 1000
        if -ahead > seconds { throw .startTimeOver(text, secondsAgo: -ahead, duration: seconds) }
        return date
    }

    /// The fleet-wide numbers of this shard's devices.
    public var deviceIndices: Range<Int> { shard.deviceIndices(fleetDevices: devices) }

    /// This shard's share of the fleet's event rate.
    public var shardEventsPerSecond: Double { devices > 0 ? eventsPerSecond * Double(deviceIndices.count) / Double(devices) : 0 }

    /// The serial number of the fleet's `index`-th device.
    public func serialNumber(_ index: Int) -> String { Self.serialNumber(at: index) }

    /// The event handed to a device as this shard's `sequence`-th; invented tags differ across shards.
    public func event(_ sequence: Int) -> TagEvent {
        if let trace, !trace.entries.isEmpty { return trace.entries[sequence % trace.entries.count].event }
        let number = UInt64(sequence) &* UInt64(shard.count) &+ UInt64(shard.index)
        let uid = withUnsafeBytes(of: number.bigEndian) { [0x04] + Array($0.suffix(6)) }
        return TagEvent(tagID: Hex.encode(uid), protocolName: "NFC-A", move: .insert, tagDetails: "simulated")
    }
}

import Foundation

/// One of `count` equal slices of a fleet, `index` counting from 0 as a Kubernetes Indexed Job's
/// `JOB_COMPLETION_INDEX` does. Shard K of N holds the devices from K·total/N up to (K+1)·total/N:
/// contiguous, disjoint, together the whole fleet, and the same on every machine, so no two
/// shards ever use one serial number (client ID).
public struct FleetShard: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = FleetShard(checkedIndex: 0, count: 1)

    public init(index: Int, count: Int) throws(FleetError) {
        try self.init(index: index, count: count, text: "\(index)/\(count)", source: "shard")
    }

    private init(index: Int, count: Int, text: String, source: String) throws(FleetError) {
        guard count >= 1 else { throw .badShard(text, source: source, problem: "N must be at least 1") }
        // Bounded so that a slice's arithmetic (devices × N) stays inside Int.
        guard count <= FleetPlan.maximumDevices else {
            throw .badShard(text, source: source, problem: "N is more than a fleet's \(FleetPlan.maximumDevices) devices")
        }
        guard index >= 0 else { throw .badShard(text, source: source, problem: "K is below 0") }
        guard index < count else {
            throw .badShard(text, source: source, problem: "K must be below N: the last of \(count) is \(count - 1)/\(count)")
        }
        self.init(checkedIndex: index, count: count)
    }

    private init(checkedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `K/N`, e.g. `0/4` for the first of four, as `source` (an option or a variable) gives it.
    public init(parsing text: String, source: String = "--shard") throws(FleetError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw .badShard(text, source: source, problem: "not two whole numbers K/N")
        }
        try self.init(index: index, count: count, text: text, source: source)
    }

    /// The shard the environment names: `SMARTREADER_SHARD=K/N`, or the Indexed Job's
    /// `JOB_COMPLETION_INDEX=K` with `SMARTREADER_SHARDS=N`; nil when it names none.
    public static func fromEnvironment(_ environment: [String: String]) throws(FleetError) -> FleetShard? {
        let given = ["SMARTREADER_SHARD", "JOB_COMPLETION_INDEX", "SMARTREADER_SHARDS"].filter { environment[$0]?.isEmpty == false }
        // Two ways of naming the shard, or a count without an index, would run another slice than meant
        // (every pod of a Job that is not Indexed would run the whole fleet).
        if given.contains("SMARTREADER_SHARD") && given.count > 1 || given == ["SMARTREADER_SHARDS"] {
            throw .shardEnvironmentConflict(given.map { "\($0)=\(environment[$0]!)" })
        }
        if let text = environment["SMARTREADER_SHARD"], !text.isEmpty { return try FleetShard(parsing: text, source: "SMARTREADER_SHARD") }
        guard let indexText = environment["JOB_COMPLETION_INDEX"], !indexText.isEmpty else { return nil }
        guard let countText = environment["SMARTREADER_SHARDS"], !countText.isEmpty else {
            throw .shardCountMissing(jobCompletionIndex: indexText)
        }
        return try FleetShard(parsing: "\(indexText)/\(countText)", source: "JOB_COMPLETION_INDEX/SMARTREADER_SHARDS")
    }

    /// The fleet-wide device numbers this shard runs.
    public func deviceIndices(fleetDevices: Int) -> Range<Int> {
        fleetDevices * index / count..<fleetDevices * (index + 1) / count
    }

    public var description: String { "\(index)/\(count)" }

    public static func < (lhs: FleetShard, rhs: FleetShard) -> Bool { (lhs.count, lhs.index) < (rhs.count, rhs.index) }
}

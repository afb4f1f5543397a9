/// What stops a sharded simulation or a report merge, said so that the user knows what to change.
public enum FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    case badShard(String)
    case shardCountMissing(jobCompletionIndex: String)
    case shardWithoutDevices(FleetShard, fleetDevices: Int)
    case badStartTime(String)
    case identitiesMissing(count: Int, firstSerial: String, directory: String)
    case unreadableReport(path: String, reason: String)
    case otherFormatVersion(path: String, found: Int, expected: Int)
    case otherFleet(path: String, reason: String)
    case shardTwice(FleetShard, paths: [String])
    case shardsMissing([FleetShard])
    case noReports

    public var description: String {
        switch self {
        case .badShard(let text):
            "shard \"\(text)\" must be K/N with 0 <= K < N, e.g. 0/4 for the first of four (K counts from 0, as JOB_COMPLETION_INDEX does)"
        case .shardCountMissing(let index):
            "JOB_COMPLETION_INDEX is \(index) but SMARTREADER_SHARDS is not set: set it to the number of shards (the Job's completions)"
        case .shardWithoutDevices(let shard, let fleetDevices):
            "shard \(shard) of a fleet of \(fleetDevices) devices holds none: give at least as many devices as shards"
        case .badStartTime(let text):
            "--start-at \"\(text)\" is not an ISO 8601 UTC time such as 2026-12-01T09:00:00Z"
        case .identitiesMissing(let count, let firstSerial, let directory):
            "\(count) of this shard's devices (the first \(firstSerial)) are not in \(directory): give --pki to issue them, "
                + "or enrol them there first"
        case .unreadableReport(let path, let reason):
            "\(path) is not a simulate report (\(reason)): give the files written by `smartreader simulate --json`"
        case .otherFormatVersion(let path, let found, let expected):
            "\(path) is a report of format version \(found); this smartreader merges version \(expected): "
                + "run every shard with the same smartreader"
        case .otherFleet(let path, let reason):
            "\(path) is from another fleet (\(reason)): merge the reports of one run only"
        case .shardTwice(let shard, let paths):
            "shard \(shard) is in more than one report (\(paths.joined(separator: ", "))): keep one of them"
        case .shardsMissing(let shards):
            "no report for shard" + (shards.count == 1 ? " " : "s ") + shards.prefix(10).map(\.description).joined(separator: ", ")
                + (shards.count > 10 ? " and \(shards.count - 10) more" : "") + ": collect every shard's report, then merge"
        case .noReports:
            "no reports to merge: give the shards' JSON files, or a directory holding them"
        }
    }
}

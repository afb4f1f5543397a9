import Foundation

/// What stops a sharded simulation or a report merge, said so that the user knows what to change.
public enum FleetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `text` as `source` (--shard, or the variables that name a shard) gave it, and what is wrong with it.
    case badShard(String, source: String, problem: String)
    case shardCountMissing(jobCompletionIndex: String)
    case shardWithoutDevices(FleetShard, fleetDevices: Int)
    case tooManyDevices(Int)
    case badStartTime(String)
    case startTimeTooFarAhead(String, seconds: Double)
    case startTimeOver(String, secondsAgo: Double, duration: Double)
    case identitiesMissing(count: Int, firstSerial: String, directory: String)
    case identitiesOfAnotherAuthority(count: Int, firstSerial: String, directory: String, authority: String)
    /// A pre-enrolled identity's file that others could read or change, and the fix.
    case unsafeIdentityFile(path: String, reason: String, fix: String)
    case unusableIdentity(path: String, reason: String)
    case serialNumberOfFleet(String, device: Int)
    case sessionTakenOver(clientID: String, shard: FleetShard)
    case unreadableReport(path: String, reason: String)
    case otherFormatVersion(path: String, found: Int, expected: Int)
    case otherFleet(path: String, reason: String)
    case shardTwice(FleetShard, paths: [String])
    case shardsMissing([FleetShard])
    case shardEnvironmentConflict([String])
    case noReports
    /// A signal came while the shard's devices were being made: nothing ran, so there is no report.
    case stoppedWhileMaking(signal: String, made: Int, of: Int)

    private static let utcExample = "`date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ` prints one ten minutes ahead"

    public var description: String {
        switch self {
        case .badShard(let text, let source, let problem):
            "\(source) \"\(text)\" is not a shard: \(problem); give K/N with 0 <= K < N, e.g. 0/4 for the first of four "
                + "(K counts from 0, as a Job's JOB_COMPLETION_INDEX does)"
        case .shardCountMissing(let index):
            "JOB_COMPLETION_INDEX is \(index) but SMARTREADER_SHARDS is not set: set it to the number of shards (the Job's completions)"
        case .shardWithoutDevices(let shard, let fleetDevices):
            "shard \(shard) of a fleet of \(fleetDevices) devices holds none: give at least as many devices as shards"
        case .tooManyDevices(let devices):
            "--devices \(devices) is more than a fleet holds: its serial numbers are \(Self.serialRange), "
                + "\(FleetPlan.maximumDevices) devices at most"
        case .badStartTime(let text):
            "--start-at \"\(text)\" is not a UTC time ending in Z, such as 2026-12-01T09:00:00Z or 2026-12-01T09:00:00.250Z "
                + "(a real date and time, to the second or with exactly three digits of milliseconds): an offset such as +01:00 "
                + "is not taken, give the time in UTC (\(Self.utcExample))"
        case .startTimeTooFarAhead(let text, let seconds):
            "--start-at \"\(text)\" is \(Self.spoken(seconds)) ahead, and a shard waits at most 24 h for its start: "
                + "is the date right? (the time is UTC; \(Self.utcExample))"
        case .startTimeOver(let text, let secondsAgo, let duration):
            "--start-at \"\(text)\" was \(Self.spoken(secondsAgo)) ago: the fleet's event phase, begun then for --duration "
                + "\(Int(duration.rounded())) s, is over, and this shard would publish alone; give a time ahead (\(Self.utcExample))"
        case .identitiesMissing(let count, let firstSerial, let directory):
            "\(count) of this shard's devices (the first \(firstSerial)) are not in \(directory): give --pki to issue them, "
                + "--identities with their certificates and keys, or enrol them there first"
        case .identitiesOfAnotherAuthority(let count, let firstSerial, let directory, let authority):
            "\(count) of this shard's devices in \(directory) (the first \(firstSerial)) hold certificates that \(authority) "
                + "did not issue: the PKI was made anew (`pki init` again) since they were issued, and a broker that trusts "
                + "the new CA refuses them. Remove them to have them issued again from this PKI (rm -r \(directory)), "
                + "or give --pki the PKI that issued them"
        case .unsafeIdentityFile(let path, let reason, let fix):
            "refusing \(path): it \(reason); \(fix)"
        case .unusableIdentity(let path, let reason):
            "\(path) \(reason)"
        case .serialNumberOfFleet(let serial, let device):
            "\(serial) is the serial number and client ID of fleet device \(device): `smartreader simulate` gives its devices "
                + "\(Self.serialRange), and a device of your own with one of them would take that device's session on a broker "
                + "both use, or lose its own; choose one outside that range"
        case .stoppedWhileMaking(let signal, let made, let total):
            "stopped by \(signal) while making the devices, \(made) of \(total) made (kept: the next run makes only the rest); "
                + "no device ran, so there is no report"
        case .sessionTakenOver(let clientID, let shard):
            "the broker gave device \(clientID)'s session to another client with its client ID (session taken over: a "
                + "DISCONNECT saying so, or its connection closed \(FleetSessionWatch.closures) times within "
                + "\(FleetSessionWatch.windowSeconds) s, each time after it had connected again): another process runs "
                + (shard.count > 1 ? "shard \(shard) of this fleet (a --shard or JOB_COMPLETION_INDEX given twice)" : "this fleet")
                + " or this device, and this one stopped early; run each shard once"
        case .unreadableReport(let path, let reason):
            "\(path) is not a simulate report (\(reason)): give the files written by `smartreader simulate --json`"
        case .otherFormatVersion(let path, let found, let expected):
            "\(path) is a report of format version \(found); this smartreader merges version \(expected): "
                + "run every shard with the same smartreader"
        case .otherFleet(let path, let reason):
            "\(path) is from another fleet (\(reason)): merge the reports of one run only"
        case .shardTwice(let shard, let paths):
            "shard \(shard) is in more than one report (\(paths.joined(separator: ", "))): it ran twice (at once, its devices "
                + "took each other's sessions), or a report of another run is among them; keep one of them"
        case .shardEnvironmentConflict(let given):
            "the environment names the shard in conflicting ways (\(given.joined(separator: ", "))): give SMARTREADER_SHARD=K/N alone, "
                + "or JOB_COMPLETION_INDEX=K (an Indexed Job sets it) with SMARTREADER_SHARDS=N"
        case .shardsMissing(let shards):
            "no report for shard" + (shards.count == 1 ? " " : "s ") + shards.prefix(10).map(\.description).joined(separator: ", ")
                + (shards.count > 10 ? " and \(shards.count - 10) more" : "")
                + ": collect every shard's report, then merge; `report merge --allow-missing` merges what there is"
        case .noReports:
            "no reports to merge: give the shards' JSON files, or a directory holding them"
        }
    }

    private static var serialRange: String {
        "\(FleetPlan.serialNumber(at: 0)) to \(FleetPlan.serialNumber(at: FleetPlan.maximumDevices - 1))"
    }

    /// A span of time as a person reads it: 45 s, 12 min, 3 h 5 min, 2 days 4 h.
    static func spoken(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        switch whole {
        case ..<120: return "\(whole) s"
        case ..<7200: return "\(whole / 60) min"
        case ..<172_800: return "\(whole / 3600) h \(whole % 3600 / 60) min"
        default: return "\(whole / 86_400) days \(whole % 86_400 / 3600) h"
        }
    }
}

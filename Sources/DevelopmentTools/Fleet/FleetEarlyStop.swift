import Foundation

/// Why and when a simulation stopped before the end of its run, as its report says: its figures
/// cover less than asked. A signal (SIGINT: Ctrl-C; SIGTERM: `kubectl delete`, a Job's
/// `activeDeadlineSeconds`, an evicted pod), or the broker giving one of its devices' sessions to
/// another client with that client ID (`sessionTakenOver`: the same shard running twice). A stop
/// once the event phase is over is none: it shortens nothing.
public struct FleetEarlyStop: Codable, Sendable, Equatable {
    /// `SIGINT`, `SIGTERM` or `sessionTakenOver`.
    public var reason: String
    /// The phase it cut short: `connecting`, `waiting` (for --start-at) or `publishing`.
    public var phase: String
    /// When, in Unix seconds.
    public var at: Double
    /// The device whose session was taken over.
    public var clientID: String?

    public init(reason: String, phase: String, at: Double, clientID: String? = nil) {
        self.reason = reason
        self.phase = phase
        self.at = (at * 1000).rounded() / 1000
        self.clientID = clientID
    }

    /// For the printed report: "by SIGTERM while publishing".
    /// A shard whose report `report merge --allow-missing` did not get: it failed, or its log is gone.
    public static let reportMissing = FleetEarlyStop(reason: "no report", phase: "unknown", at: 0)

    /// The status a run cut short by a signal exits with: 128 + the signal's number, as a process
    /// ended by it would (130 for SIGINT, 143 for SIGTERM), so that a script or a Kubernetes Job does
    /// not count a partial run as a success; nil for any other stop.
    public var signalExitStatus: Int32? { Self.exitStatus(signal: reason) }

    /// 128 + the number of the signal named (`SIGINT`, `SIGTERM`); nil for any other name.
    public static func exitStatus(signal name: String) -> Int32? {
        switch name {
        case "SIGINT": 128 + SIGINT
        case "SIGTERM": 128 + SIGTERM
        default: nil
        }
    }

    var text: String {
        if self == .reportMissing { return "without a report (failed, or its log is gone)" }
        guard let clientID else { return "by \(reason) while \(phase)" }
        return "by the broker giving device \(clientID)'s session to another client with its client ID (\(reason)) while \(phase)"
    }
}

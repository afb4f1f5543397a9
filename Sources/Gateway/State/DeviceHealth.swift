import DeviceIdentity
import Foundation
import Spool
import SpringCore

/// How a running daemon is doing, as `smartreader status` shows it: the daemon's answer to a
/// `health` request on its control socket, one JSON object.
public struct DeviceHealth: Codable, Sendable, Equatable {
    public var serialNumber: String
    public var clientID: String
    /// HOST:PORT the device connects to.
    public var broker: String
    public var connected: Bool
    /// When the current connection was made or, when not connected, since when the device has been without one.
    public var since: Date
    /// Why the last connection or attempt ended.
    public var lastProblem: String?
    public var bootCount: Int
    public var configID: String
    /// Tag events read since the daemon started.
    public var eventsRead: Int
    public var lastEvent: Date?
    public var lastTagID: String?
    public var spoolDepth: Int
    public var spoolBytes: Int
    public var spoolOldest: Date?
    public var spoolDropped: Int
    public var spoolExpired: Int
    /// Events the broker refused, held for the operator (`smartreader spool retry` or `discard`).
    public var spoolRefused = 0
    /// Since the spool was created: events refused, refused ones dropped over the limit, and refused ones discarded.
    public var spoolRefusedTotal = 0
    public var spoolRefusedDropped = 0
    public var spoolDiscarded = 0
    /// The end of the device certificate's validity; nil without client authentication.
    public var certificateNotAfter: Date?
    /// What the host's commands told the reader's LEDs, buzzer and relays; nil from a daemon that predates it.
    public var indicators: ReaderIndicators?

    enum CodingKeys: String, CodingKey {
        case serialNumber = "SerialNumber", clientID = "ClientId", broker = "Broker", connected = "Connected", since = "Since"
        case lastProblem = "LastProblem", bootCount = "BootCount", configID = "ConfigId", eventsRead = "EventsRead"
        case lastEvent = "LastEvent", lastTagID = "LastTagId", spoolDepth = "SpoolDepth", spoolDropped = "SpoolDropped"
        case spoolBytes = "SpoolBytes", spoolOldest = "SpoolOldest"
        case spoolExpired = "SpoolExpired", certificateNotAfter = "CertificateNotAfter"
        case spoolRefused = "SpoolRefused", spoolRefusedTotal = "SpoolRefusedTotal", spoolRefusedDropped = "SpoolRefusedDropped"
        case spoolDiscarded = "SpoolDiscarded", indicators = "Indicators"
    }

    /// Takes the refused events' numbers from the spool's report.
    public mutating func noteRefusals(_ report: SpoolReport) {
        spoolRefused = report.refused
        spoolRefusedTotal = report.losses.refused
        spoolRefusedDropped = report.losses.refusedDropped
        spoolDiscarded = report.losses.discarded
    }

    /// What `smartreader status` exits with, for scripts and health checks: 0 connected with
    /// nothing held, 2 not connected, 4 connected but holding events the broker refused (3, not
    /// running, is decided before there is a report).
    public var exitCode: Int32 {
        guard connected else { return 2 }
        return spoolRefused > 0 ? 4 : 0
    }

    public var json: String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every field is a string, number, bool or date: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    public static func decode(json: some Collection<UInt8>) throws -> DeviceHealth {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Self.self, from: Data(json))
    }

    /// Aligned lines for a terminal, with ages relative to `now`.
    public func lines(at now: Date = Date()) -> [String] {
        func ago(_ date: Date) -> String { "\(date.formatted(.iso8601)) (\(Self.duration(now.timeIntervalSince(date))) ago)" }
        var lines = [
            "client   \(clientID) (boot \(bootCount), configuration \(configID.isEmpty ? "without ConfigId" : configID))",
            "broker   \(broker): " + (connected ? "connected since \(ago(since))" : "NOT connected since \(ago(since))"),
        ]
        if let lastProblem { lines.append("problem  \(connected ? "last loss: " : "")\(lastProblem)") }
        lines.append(
            "events   \(eventsRead) read since the daemon started"
                + (lastEvent.map { "; the last \(ago($0))" + (lastTagID.map { ", tag \($0)" } ?? "") } ?? ""))
        let spool = SpoolReport(
            depth: spoolDepth, bytes: spoolBytes, oldestStored: spoolOldest,
            losses: SpoolLosses(
                dropped: spoolDropped, expired: spoolExpired, refused: spoolRefusedTotal, refusedDropped: spoolRefusedDropped,
                discarded: spoolDiscarded),
            refused: spoolRefused)
        lines.append("spool    \(spool.summary)")
        if let indicators { lines.append("outputs  \(indicators.summary(at: now))") }
        if let certificateNotAfter {
            let days = Int(certificateNotAfter.timeIntervalSince(now) / 86_400)
            lines.append(
                "cert     valid until \(certificateNotAfter.formatted(.iso8601)) "
                    + (days < 0
                        ? "(EXPIRED)"
                        : certificateNotAfter.timeIntervalSince(now) < CertificateValidity.warningPeriod
                            ? "(\(days) days left: enrol a new one now)" : "(\(days) days left)"))
        }
        return lines
    }

    static func duration(_ seconds: TimeInterval) -> String {
        let whole = max(0, Int(seconds))
        switch whole {
        case ..<120: return "\(whole) s"
        case ..<7200: return "\(whole / 60) min"
        case ..<172_800: return "\(whole / 3600) h"
        default: return "\(whole / 86_400) days"
        }
    }
}

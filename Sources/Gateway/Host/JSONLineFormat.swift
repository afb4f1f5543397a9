import Foundation
import Logging
import SpringCore

/// One JSON object a line, for journald, log shippers and `jq`: `time` (UTC, milliseconds),
/// `level`, `label`, `source`, `message`, then the metadata (`device`, `broker`, …) as strings.
/// A metadata key that would hide one of those fields is written as `meta.<key>`. Every control
/// character is escaped, so one event is one line (`LogLineEscaping`).
public typealias JSONLineLogHandler = LineLogHandler<JSONLineFormat>

public struct JSONLineFormat: LogLineFormat {
    private static let reserved: Set<String> = ["time", "level", "label", "source", "message", "error"]

    public init() {}

    public func line(for event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        var object = CompactJSONObject()
        object.add("time", Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object.add("level", event.level.rawValue)
        object.add("label", label)
        object.add("source", event.source)
        object.add("message", event.message.description)
        if let error = event.error { object.add("error", "\(error)") }
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            object.add(Self.reserved.contains(key) ? "meta." + key : key, value.description)
        }
        return LogLineEscaping.escapedForJSON(object.text)
    }
}

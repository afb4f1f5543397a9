import Foundation
import Logging
import SpringCore

/// One JSON object a line, for journald, log shippers and `jq`: `time` (UTC, milliseconds),
/// `level`, `label`, `source`, `message`, then the metadata (`device`, `broker`, …) as strings.
/// A metadata key that would hide one of those fields is written as `meta.<key>`. Every control
/// character is escaped, so one event is one line (`LogLineEscaping`).
public struct JSONLineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    private static let reserved: Set<String> = ["time", "level", "label", "source", "message", "error"]

    /// `write` receives each line with its newline; standard error by default, one write each,
    /// so lines from several threads do not interleave.
    public init(label: String, write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object = CompactJSONObject()
        object.add("time", Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        object.add("level", event.level.rawValue)
        object.add("label", label)
        object.add("source", event.source)
        object.add("message", event.message.description)
        if let error = event.error { object.add("error", "\(error)") }
        let merged = metadata.merged(provider: metadataProvider, event: event.metadata)
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            object.add(Self.reserved.contains(key) ? "meta." + key : key, value.description)
        }
        write(LogLineEscaping.escapedForJSON(object.text) + "\n")
    }
}

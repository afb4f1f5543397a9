import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Readable log lines, as swift-log's StreamLogHandler writes them (`time level label: metadata
/// [source] message`), with control characters in the message and metadata escaped so that one
/// event is always one line.
public typealias TextLineLogHandler = LineLogHandler<TextLineFormat>

public struct TextLineFormat: LogLineFormat {
    public init() {}

    public func line(for event: LogEvent, label: String, metadata: Logger.Metadata) -> String {
        var merged = metadata
        if let error = event.error { merged["error"] = "\(error)" }
        let pairs = merged.sorted { $0.key < $1.key }.map {
            " " + LogLineEscaping.escapedForText($0.key) + "=" + LogLineEscaping.escapedForText($0.value.description)
        }
        let message = LogLineEscaping.escapedForText(event.message.description)
        return "\(Self.timestamp()) \(event.level) \(label):\(pairs.joined()) [\(event.source)] \(message)"
    }

    /// Local time with its offset, as StreamLogHandler writes it.
    private static func timestamp() -> String {
        var now = time(nil)
        var local = tm()
        guard localtime_r(&now, &local) != nil else { return "<unknown>" }
        var buffer = [CChar](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

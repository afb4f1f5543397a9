import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Readable log lines, as swift-log's StreamLogHandler writes them (`time level label: metadata
/// [source] message`), with control characters in the message and metadata escaped so that one
/// event is always one line.
public struct TextLineLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

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
        var merged = metadata.merged(provider: metadataProvider, event: event.metadata)
        if let error = event.error { merged["error"] = "\(error)" }
        let pairs = merged.sorted { $0.key < $1.key }.map {
            " " + LogLineEscaping.escapedForText($0.key) + "=" + LogLineEscaping.escapedForText($0.value.description)
        }
        let message = LogLineEscaping.escapedForText(event.message.description)
        write("\(Self.timestamp()) \(event.level) \(label):\(pairs.joined()) [\(event.source)] \(message)\n")
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

import Foundation
import Logging

/// How one log event is written as one line, whatever the handler does with it.
public protocol LogLineFormat: Sendable {
    init()
    /// The line, without its newline; `metadata` is the handler's, the provider's and the event's merged.
    func line(for event: LogEvent, label: String, metadata: Logger.Metadata) -> String
}

/// A swift-log handler that writes each event as one line in `Format`: `TextLineLogHandler` for
/// people, `JSONLineLogHandler` for journald and log shippers.
public struct LineLogHandler<Format: LogLineFormat>: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let format = Format()
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
        write(format.line(for: event, label: label, metadata: metadata.merged(provider: metadataProvider, event: event.metadata)) + "\n")
    }
}

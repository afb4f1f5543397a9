import Logging
import Synchronization

/// The messages a logger was given, for a test to read what the code under test said.
public final class CapturedLog: Sendable {
    private let messages = Mutex<[String]>([])

    public init() {}

    public var all: [String] { messages.withLock { $0 } }

    public func contains(_ text: String) -> Bool { messages.withLock { $0.contains { $0.contains(text) } } }

    /// A logger at trace level that keeps every message here.
    public var logger: Logger {
        Logger(label: "test") { _ in Handler(log: self) }
    }

    private struct Handler: LogHandler {
        let log: CapturedLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            log.messages.withLock { $0.append(event.message.description) }
        }
    }
}

import Foundation
import NIOCore
import SpringCore

/// What a local tool asks the running daemon over its control socket: one JSON object a line.
public enum ControlRequest: Sendable, Equatable {
    case push(content: [UInt8], source: String, loadDefaults: Bool, reset: Bool)
    case reload
    /// The daemon's `DeviceHealth`.
    case health
    /// The events the broker refused go back in line (the ACL or identity is fixed); answered by a `SpoolActionAnswer`.
    case retryRefused
    /// The events the broker refused go, counted; answered by a `SpoolActionAnswer`.
    case discardRefused

    /// What the request is called in messages.
    var name: String {
        switch self {
        case .push: "push"
        case .reload: "reload"
        case .health: "health"
        case .retryRefused: "spool retry"
        case .discardRefused: "spool discard"
        }
    }

    public var line: String {
        var object = CompactJSONObject()
        switch self {
        case .push(let content, let source, let loadDefaults, let reset):
            object.add("Command", "push")
            object.add("Source", source)
            // Base64 keeps the file's bytes exactly, whatever they are; the daemon judges them.
            object.add("Content", Data(content).base64EncodedString())
            object.add("LoadDefaults", loadDefaults)
            object.add("Reset", reset)
        case .reload:
            object.add("Command", "reload")
        case .health:
            object.add("Command", "health")
        case .retryRefused:
            object.add("Command", "spool-retry")
        case .discardRefused:
            object.add("Command", "spool-discard")
        }
        return object.text + "\n"
    }

    public init(line: some Collection<UInt8>) throws(ControlProtocolError) {
        guard case .object(let fields)? = try? JSONParser.parse(line) else { throw .malformed("not a JSON object") }
        switch fields["Command"]?.stringValue {
        case "push":
            guard let source = fields["Source"]?.stringValue, let encoded = fields["Content"]?.stringValue,
                let content = Data(base64Encoded: encoded)
            else { throw .malformed("a push needs Source and base64 Content") }
            func flag(_ key: String) -> Bool { if case .bool(let value)? = fields[key] { value } else { true } }
            self = .push(content: Array(content), source: source, loadDefaults: flag("LoadDefaults"), reset: flag("Reset"))
        case "reload":
            self = .reload
        case "health":
            self = .health
        case "spool-retry":
            self = .retryRefused
        case "spool-discard":
            self = .discardRefused
        default:
            throw .malformed("unknown Command; the daemon knows push, reload, health, spool-retry and spool-discard")
        }
    }
}

public enum ControlProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case noDaemon(socket: String)
    case noAnswer(socket: String)
    /// A request line over the socket's limit, which fits the largest CONFIG-DATA file a push may carry.
    case lineTooLong(bytes: Int, limit: Int)
    /// The daemon took the request but gave no answer within `seconds`.
    case answerTimedOut(socket: String, request: String, seconds: Int)

    public var description: String {
        switch self {
        case .malformed(let reason): "control message refused: \(reason)"
        case .noDaemon(let socket):
            "no daemon is listening on \(socket); start it with `smartreader run --state-dir DIR`, "
                + "or pass --offline to store the file for the next start"
        case .noAnswer(let socket):
            "the daemon on \(socket) closed the connection without an answer; see its log (a daemon stopped during a "
                + "push's trial resumes the trial at its next start)"
        case .lineTooLong(let bytes, let limit):
            "a request of \(bytes) bytes is longer than the \(limit) the control socket takes, which fits a push of the "
                + "largest CONFIG-DATA file (\(ConfigData.maximumFileSize) bytes, \(ConfigData.maximumFileSize / 1024) KiB); "
                + "a real one is a few KiB"
        case .answerTimedOut(let socket, let request, let seconds):
            "the daemon on \(socket) took the \(request) request but did not answer within \(seconds) s: it may be stuck, or "
                + "still busy (a push waits for the reboot and the broker); see its log and `smartreader status`, and restart it "
                + "if it stays silent"
        }
    }
}

/// The daemon's answer to `retryRefused` or `discardRefused`: `{"Events":3}`, how many refused events it acted on.
public struct SpoolActionAnswer: Sendable, Equatable {
    public var events: Int

    public init(events: Int) { self.events = events }

    public var json: String {
        var object = CompactJSONObject()
        object.add("Events", events)
        return object.text
    }

    public init?(json: some Collection<UInt8>) {
        guard case .object(let fields)? = try? JSONParser.parse(json), case .number(let events)? = fields["Events"],
            let count = Int(exactly: events)
        else { return nil }
        self.events = count
    }
}

/// Splits a byte stream into lines. A line longer than `maximumLength` is never buffered: its
/// bytes are dropped as they arrive, and once it has ended the connection gets `lineTooLong`,
/// which the socket answers with a refusal naming the limit; the sender, done writing by then,
/// reads a clear answer instead of a broken pipe.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumLength: Int
    /// Bytes of an over-long line dropped so far, while its end is awaited.
    private var dropped: Int?

    init(maximumLength: Int) { self.maximumLength = maximumLength }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n"))
        let length = (newline ?? buffer.writerIndex) - buffer.readerIndex
        if dropped != nil || length > maximumLength {
            let total = (dropped ?? 0) + length
            guard let newline else {
                dropped = total
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return .needMoreData
            }
            dropped = nil
            buffer.moveReaderIndex(to: newline + 1)
            throw ControlProtocolError.lineTooLong(bytes: total, limit: maximumLength)
        }
        guard let newline else { return .needMoreData }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(to: newline + 1)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

import Foundation
import NIOCore
import SpringCore

/// What a local tool asks the running daemon over its control socket: one JSON object a line.
public enum ControlRequest: Sendable, Equatable {
    case push(content: [UInt8], source: String, loadDefaults: Bool, reset: Bool)
    case reload
    /// The daemon's `DeviceHealth`.
    case health

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
        default:
            throw .malformed("unknown Command; the daemon knows push, reload and health")
        }
    }
}

public enum ControlProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case noDaemon(socket: String)
    case noAnswer(socket: String)

    public var description: String {
        switch self {
        case .malformed(let reason): "control message refused: \(reason)"
        case .noDaemon(let socket):
            "no daemon is listening on \(socket); start it with `smartreader run --state-dir DIR`, "
                + "or pass --offline to store the file for the next start"
        case .noAnswer(let socket): "the daemon on \(socket) closed the connection without an answer; see its log"
        }
    }
}

/// Splits a byte stream into lines, refusing a line longer than `maximumLength` rather than
/// buffering without bound.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumLength: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > maximumLength { throw ControlProtocolError.malformed("a line longer than \(maximumLength) bytes") }
            return .needMoreData
        }
        let line = buffer.readSlice(length: end - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }
}

import Foundation

/// A command received on `rdr/cmd`: `$SCCMD;NAME=VALUE;...[*CS]` text or a JSON object. Both
/// forms are accepted at any time.
public struct HostCommand: Sendable, Equatable {
    public var parameters: [(name: String, value: String)]

    public static func == (lhs: HostCommand, rhs: HostCommand) -> Bool {
        lhs.parameters.map { [$0.name, $0.value] } == rhs.parameters.map { [$0.name, $0.value] }
    }

    public init(parameters: [(name: String, value: String)]) { self.parameters = parameters }

    public static func parse(_ payload: [UInt8]) throws(HostCommandError) -> HostCommand {
        let text = String(decoding: payload, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("$SCCMD") { return try parseSCCMD(text) }
        if text.hasPrefix("{") { return try parseJSON(payload) }
        throw .unrecognised(String(text.prefix(40)))
    }

    private static func parseSCCMD(_ text: String) throws(HostCommandError) -> HostCommand {
        guard text.utf8.count < 256 else { throw .tooLong(text.utf8.count) }
        var body = Substring(text)
        if let star = body.lastIndex(of: "*") {
            let checksumText = body[body.index(after: star)...]
            body = body[..<star]
            guard let given = UInt8(checksumText, radix: 16) else { throw .badChecksum(String(checksumText)) }
            guard SCRDRChecksum.accepts(given, body: body.dropFirst()) else { throw .badChecksum(String(checksumText)) }
        }
        var fields = body.split(separator: ";", omittingEmptySubsequences: true)
        guard fields.first == "$SCCMD" else { throw .unrecognised(String(text.prefix(40))) }
        fields.removeFirst()
        var parameters: [(String, String)] = []
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else { throw .badParameter(String(field)) }
            parameters.append((String(field[..<equals]), String(field[field.index(after: equals)...])))
        }
        guard !parameters.isEmpty else { throw .badParameter("") }
        return HostCommand(parameters: parameters)
    }

    private static func parseJSON(_ payload: [UInt8]) throws(HostCommandError) -> HostCommand {
        guard case .object(let object)? = try? JSONParser.parse(payload) else {
            throw .badJSON
        }
        let parameters = object.members.map { member -> (String, String) in
            switch member.value {
            case .string(let s): (member.key, s)
            // Only integers well inside Int64 are written without a fraction: Int64(1e300) would trap.
            case .number(let n): (member.key, n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n))
            case .bool(let b): (member.key, String(b))
            default: (member.key, "")
            }
        }
        return HostCommand(parameters: parameters)
    }
}

public enum HostCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case unrecognised(String)
    case tooLong(Int)
    case badChecksum(String)
    case badParameter(String)
    case badJSON

    public var description: String {
        switch self {
        case .unrecognised(let start): "not a $SCCMD or JSON command: \"\(start)\""
        case .tooLong(let length): "$SCCMD command of \(length) characters; the limit is 255"
        case .badChecksum(let given): "$SCCMD checksum \"\(given)\" does not match the command"
        case .badParameter(let field): "$SCCMD parameter \"\(field)\" is not NAME=VALUE"
        case .badJSON: "JSON command is not a valid JSON object"
        }
    }
}

/// The `$SCRDR`/`$SCCMD` checksum. The vendor's pages disagree; the project writes the XOR of
/// the characters strictly between `$` and `*` (NMEA style) and accepts either form, which
/// differ by the XOR of `$` and `*` (0x0E).
public enum SCRDRChecksum {
    public static func compute<S: StringProtocol>(body: S) -> UInt8 {
        body.utf8.reduce(0, ^)
    }

    public static func accepts<S: StringProtocol>(_ given: UInt8, body: S) -> Bool {
        let nmea = compute(body: body)
        return given == nmea || given == nmea ^ UInt8(ascii: "$") ^ UInt8(ascii: "*")
    }
}

import Foundation

/// A command received on `rdr/cmd`: `$SCCMD;NAME=VALUE;...[*CS]` text or a JSON object. Both
/// forms are accepted at any time.
public struct HostCommand: Sendable, Equatable {
    public var parameters: [(name: String, value: String)]
    /// The JSON form as sent, nil for `$SCCMD`: READER COMMAND gives types meaning (a Relay's
    /// boolean and its number differ, a Sequence's integer is decimal and its string hexadecimal).
    public var object: JSONObject?

    public static func == (lhs: HostCommand, rhs: HostCommand) -> Bool {
        lhs.parameters.map { [$0.name, $0.value] } == rhs.parameters.map { [$0.name, $0.value] }
    }

    public init(parameters: [(name: String, value: String)], object: JSONObject? = nil) {
        self.parameters = parameters
        self.object = object
    }

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
        // "Every tuple is optional" (the vendor's $SCCMD page): a bare $SCCMD is a valid command that does nothing.
        return HostCommand(parameters: parameters)
    }

    private static func parseJSON(_ payload: [UInt8]) throws(HostCommandError) -> HostCommand {
        let value: JSONValue
        do {
            value = try JSONParser.parse(payload)
        } catch {
            throw .badJSON(error.description)
        }
        guard case .object(let object) = value else { throw .badJSON("the top level is not an object") }
        let parameters = object.members.map { member -> (String, String) in
            switch member.value {
            case .string(let s): (member.key, s)
            // Only integers well inside Int64 are written without a fraction: Int64(1e300) would trap.
            case .number(let n): (member.key, n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n))
            case .bool(let b): (member.key, String(b))
            default: (member.key, "")
            }
        }
        return HostCommand(parameters: parameters, object: object)
    }
}

extension HostCommand {
    /// What the command tells the reader, checked as the vendor documents each field; unknown
    /// fields, repeated ones and a sequence sent with direct control are refused.
    public func validated() throws(ReaderCommandError) -> ReaderCommand {
        var command = ReaderCommand()
        if let object {
            for member in object.members { try Self.applyJSON(member.key, member.value, to: &command) }
        } else {
            var seen: Set<String> = []
            for (name, value) in parameters {
                guard seen.insert(name).inserted else { throw .repeatedField(name) }
                try Self.applySCCMD(name, value, to: &command)
            }
        }
        // The READER COMMAND page forbids it; $SCCMD drives the same PLAY_SEQUENCE and SET_LEDS, held to the same rule.
        if command.sequence != nil {
            let direct = [
                ("LEDs", command.leds != nil), ("RgbColor", command.rgbColor != nil), ("RgbMode", command.rgbMode != nil),
                ("the buzzer", command.buzzerMilliseconds != nil),
            ]
            if let other = direct.first(where: \.1) { throw .sequenceWithDirectControl(other.0) }
        }
        return command
    }

    /// `$SCCMD` values are hexadecimal with the width the vendor gives: SEQ one byte, LEDS four, BUZZ two (MSB first).
    private static func applySCCMD(_ name: String, _ value: String, to command: inout ReaderCommand) throws(ReaderCommandError) {
        switch name {
        case "SEQ": command.sequence = UInt8(try hex(value, field: name, digits: 2...2))
        case "LEDS":
            guard value.utf8.count == 8, let bytes = Hex.decode(value) else {
                throw .badValue(field: name, value: value, expected: "4 bytes in hexadecimal (8 digits)")
            }
            command.leds = bytes
        case "BUZZ": command.buzzerMilliseconds = UInt16(try hex(value, field: name, digits: 4...4))
        default: throw .unknownField(name)
        }
    }

    /// JSON values: a number is decimal, a string hexadecimal, as the READER COMMAND page says for each field.
    private static func applyJSON(_ name: String, _ value: JSONValue, to command: inout ReaderCommand) throws(ReaderCommandError) {
        switch name {
        case "Sequence": command.sequence = UInt8(try number(value, field: name, maximum: 0xFF))
        case "Leds":
            guard case .string(let text) = value, text.utf8.count == 8, let bytes = Hex.decode(text) else {
                throw .badValue(field: name, value: describe(value), expected: "a string of 4 bytes in hexadecimal (8 digits)")
            }
            command.leds = bytes
        case "RgbColor": command.rgbColor = try number(value, field: name, maximum: 0xFF_FFFF)
        case "RgbMode": command.rgbMode = UInt8(try number(value, field: name, maximum: 0xFF))
        case "Buzzer": command.buzzerMilliseconds = UInt16(try number(value, field: name, maximum: 0xFFFF))
        case "Relay": command.relays = [try relay(value, field: name)]
        case "Relays":
            guard case .array(let values) = value else {
                throw .badValue(field: name, value: describe(value), expected: "an array with one value for each relay")
            }
            guard !values.isEmpty else { throw .noRelays(field: name) }
            // Checked before the values: a command's array is bounded only by the broker's packet size.
            guard values.count <= ReaderCommand.relayLimit else { throw .tooManyRelays(field: name, count: values.count) }
            var relays: [RelayAction] = []
            for element in values { relays.append(try relay(element, field: name)) }
            command.relays = relays
        default: throw .unknownField(name)
        }
    }

    private static func relay(_ value: JSONValue, field: String) throws(ReaderCommandError) -> RelayAction {
        if case .bool(let on) = value { return .set(on: on) }
        let milliseconds = try number(value, field: field, maximum: 0xFFFF)
        return milliseconds == 0 ? .set(on: false) : .pulse(milliseconds: UInt16(milliseconds))
    }

    private static func number(_ value: JSONValue, field: String, maximum: UInt32) throws(ReaderCommandError) -> UInt32 {
        let digits = String(maximum, radix: 16).count
        switch value {
        case .number(let n) where n >= 0 && n <= Double(maximum) && n == n.rounded():
            return UInt32(n)
        case .string(let text):
            return try hex(text, field: field, digits: 1...digits)
        default:
            throw .badValue(
                field: field, value: describe(value),
                expected: "a decimal integer from 0 to \(maximum) or up to \(digits) hexadecimal digits in a string")
        }
    }

    private static func hex(_ text: String, field: String, digits: ClosedRange<Int>) throws(ReaderCommandError) -> UInt32 {
        guard digits.contains(text.utf8.count), text.utf8.allSatisfy(\.isHexDigit), let value = UInt32(text, radix: 16) else {
            let width = digits.count == 1 ? "\(digits.lowerBound)" : "\(digits.lowerBound) to \(digits.upperBound)"
            throw .badValue(field: field, value: QuotedToken.quote(text), expected: "\(width) hexadecimal digits")
        }
        return value
    }

    /// The value as JSON would show it, bounded: `-1`, `1.5`, `"0x60"`, `[...]`.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): String(b)
        case .number(let n) where n == n.rounded() && abs(n) < 1e15: String(Int64(n))
        case .number(let n): String(n)
        case .string(let s): QuotedToken.quote(s)
        case .array: "[...]"
        case .object: "{...}"
        }
    }
}

extension UInt8 {
    fileprivate var isHexDigit: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}

public enum HostCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case unrecognised(String)
    case tooLong(Int)
    case badChecksum(String)
    case badParameter(String)
    /// Why the JSON was refused, as the parser says it (line, column, the duplicate key...).
    case badJSON(String)

    public var description: String {
        switch self {
        case .unrecognised(let start): "not a $SCCMD or JSON command: \"\(start)\""
        case .tooLong(let length): "$SCCMD command of \(length) characters; the limit is 255"
        case .badChecksum(let given): "$SCCMD checksum \"\(given)\" does not match the command"
        case .badParameter(let field): "$SCCMD parameter \"\(field)\" is not NAME=VALUE"
        case .badJSON(let reason): "JSON command is not a valid JSON object: \(reason)"
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

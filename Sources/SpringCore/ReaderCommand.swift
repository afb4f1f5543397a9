/// A command on `rdr/cmd` checked against the vendor's pages ("$SCCMD Message" and "READER
/// COMMAND Message", docs.springcard.com, SpringCore > Host Protocols > Smart Reader Protocols):
/// what the reader's LEDs, buzzer and relays are told to do. Every field is optional, so an
/// empty command is valid and does nothing.
public struct ReaderCommand: Sendable, Equatable {
    /// A pre-defined UI sequence (PLAY_SEQUENCE), e.g. 0x60 access granted, 0x61 denied.
    public var sequence: UInt8?
    /// One mode byte for each of the 4 LEDs of the ramp (SET_LEDS).
    public var leds: [UInt8]?
    /// The vendor's page leaves RgbColor and RgbMode "to be written": kept as given, within 3 and 1 bytes.
    public var rgbColor: UInt32?
    public var rgbMode: UInt8?
    /// Beep duration in milliseconds (SET_BUZZER).
    public var buzzerMilliseconds: UInt16?
    /// Relay 1 first; relays the command does not name are absent.
    public var relays: [RelayAction]?

    public init(
        sequence: UInt8? = nil, leds: [UInt8]? = nil, rgbColor: UInt32? = nil, rgbMode: UInt8? = nil,
        buzzerMilliseconds: UInt16? = nil, relays: [RelayAction]? = nil
    ) {
        self.sequence = sequence
        self.leds = leds
        self.rgbColor = rgbColor
        self.rgbMode = rgbMode
        self.buzzerMilliseconds = buzzerMilliseconds
        self.relays = relays
    }

    public var isEmpty: Bool { self == ReaderCommand() }

    /// The command in the READER COMMAND form, whichever form it came in: what a command hook reads.
    public var json: String {
        // Every value is a number, a boolean or hex digits: nothing to escape.
        var members: [String] = []
        if let sequence { members.append(#""Sequence":"\#(Hex.encode([sequence]))""#) }
        if let leds { members.append(#""Leds":"\#(Hex.encode(leds))""#) }
        if let rgbColor { members.append(#""RgbColor":\#(rgbColor)"#) }
        if let rgbMode { members.append(#""RgbMode":\#(rgbMode)"#) }
        if let buzzerMilliseconds { members.append(#""Buzzer":\#(buzzerMilliseconds)"#) }
        if let relays { members.append(#""Relays":["# + relays.map(\.json).joined(separator: ",") + "]") }
        return "{" + members.joined(separator: ",") + "}"
    }
}

/// What one relay is told. The vendor's page distinguishes the JSON types: a boolean switches the
/// relay on or off; a number (decimal, or hexadecimal within a string) we read, like Buzzer, as
/// milliseconds the relay stays on, 0 being off.
public enum RelayAction: Sendable, Equatable {
    case set(on: Bool)
    case pulse(milliseconds: UInt16)

    var json: String {
        switch self {
        case .set(let on): String(on)
        case .pulse(let milliseconds): String(milliseconds)
        }
    }
}

public enum ReaderCommandError: Error, Equatable, Sendable, CustomStringConvertible {
    case unknownField(String)
    case repeatedField(String)
    case badValue(field: String, value: String, expected: String)
    case sequenceWithDirectControl(String)

    public var description: String {
        switch self {
        case .unknownField(let name):
            "unknown field \"\(name)\": a SpringPark knows SEQ, LEDS and BUZZ in $SCCMD and Sequence, Leds, RgbColor, RgbMode, "
                + "Buzzer, Relay and Relays in JSON"
        case .repeatedField(let name): "field \"\(name)\" is given twice: send it once"
        case .badValue(let field, let value, let expected): "\(field)=\"\(value)\" is not \(expected)"
        case .sequenceWithDirectControl(let other):
            "a sequence cannot be sent with \(other) (the vendor forbids it): send the sequence and the direct control separately"
        }
    }
}

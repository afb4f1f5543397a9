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

    /// The most relays a command may name. The READER COMMAND page says only "devices with one or
    /// more relays" and the register map gives no count, so the emulator caps it (docs/configuration.md,
    /// "Registers beyond the reference"): a longer array is refused, not applied relay by relay.
    public static let relayLimit = 4

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

    /// An RGB colour as its 3 bytes in hexadecimal, `FF8000`.
    static func hexColor(_ color: UInt32) -> String {
        Hex.encode([UInt8(color >> 16 & 0xFF), UInt8(color >> 8 & 0xFF), UInt8(color & 0xFF)])
    }

    /// The command in the READER COMMAND form, whichever form it came in: what a command hook reads.
    /// Codes (Sequence, Leds, RgbColor, RgbMode) are hexadecimal strings, as the vendor writes
    /// them (`60` access granted); durations (Buzzer, a relay's time) decimal milliseconds.
    public var json: String {
        // Every value is a number, a boolean or hex digits: nothing to escape.
        var members: [String] = []
        if let sequence { members.append(#""Sequence":"\#(Hex.encode([sequence]))""#) }
        if let leds { members.append(#""Leds":"\#(Hex.encode(leds))""#) }
        if let rgbColor { members.append(#""RgbColor":"\#(Self.hexColor(rgbColor))""#) }
        if let rgbMode { members.append(#""RgbMode":"\#(Hex.encode([rgbMode]))""#) }
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
    /// `value` as shown to the user: quoted and bounded where it is text.
    case badValue(field: String, value: String, expected: String)
    case sequenceWithDirectControl(String)
    case noRelays(field: String)
    case tooManyRelays(field: String, count: Int)

    public var description: String {
        switch self {
        case .unknownField(let name):
            "unknown field \(QuotedToken.quote(name)): a SpringPark knows SEQ, LEDS and BUZZ in $SCCMD and Sequence, Leds, RgbColor, RgbMode, "
                + "Buzzer, Relay and Relays in JSON"
        case .repeatedField(let name): "field \(QuotedToken.quote(name)) is given twice: send it once"
        case .badValue(let field, let value, let expected): "\(field)=\(value) is not \(expected)"
        case .noRelays(let field): "\(field) is an empty array: send one value for each relay, relay 1 first"
        case .tooManyRelays(let field, let count):
            "\(field) has \(count) values, but the emulated SpringPark has at most \(ReaderCommand.relayLimit) relays: "
                + "send one value for each relay, at most \(ReaderCommand.relayLimit)"
        case .sequenceWithDirectControl(let other):
            "a sequence cannot be sent with \(other) (the vendor forbids it): send the sequence and the direct control separately"
        }
    }
}

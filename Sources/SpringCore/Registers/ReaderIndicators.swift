import Foundation

/// What the host last told the reader's LEDs, buzzer and relays, and how many commands it took
/// or refused: the emulator has no lamps, so `status` and the metrics show this instead, and a
/// backend test can check that its command arrived and meant what it intended.
public struct ReaderIndicators: Codable, Sendable, Equatable {
    /// The 4 LED mode bytes last set, in hexadecimal.
    public var leds: String?
    /// The RGB colour and mode last set, in hexadecimal like the other codes (`FF8000`, `02`).
    public var rgbColor: String?
    public var rgbMode: String?
    /// The UI sequence last played, in hexadecimal (`60` access granted).
    public var lastSequence: String?
    public var lastBuzzerMilliseconds: Int?
    /// Relay 1 first; a relay never commanded is off.
    public var relays: [RelayState] = []
    public var commandsApplied = 0
    public var commandsRefused = 0
    public var lastCommand: Date?
    /// Why the last refused command was refused.
    public var lastRefusal: String?

    public struct RelayState: Codable, Sendable, Equatable {
        public var on: Bool
        /// The end of a timed activation; nil when switched on or off for good.
        public var until: Date?

        public init(on: Bool, until: Date? = nil) {
            self.on = on
            self.until = until
        }

        public func isOn(at now: Date) -> Bool { on && until.map { now < $0 } ?? on }

        enum CodingKeys: String, CodingKey { case on = "On", until = "Until" }
    }

    enum CodingKeys: String, CodingKey {
        case leds = "Leds", rgbColor = "RgbColor", rgbMode = "RgbMode", lastSequence = "LastSequence"
        case lastBuzzerMilliseconds = "LastBuzzerMs", relays = "Relays", commandsApplied = "CommandsApplied"
        case commandsRefused = "CommandsRefused", lastCommand = "LastCommand", lastRefusal = "LastRefusal"
    }

    public init() {}

    /// Older daemons and newer fields: whatever is missing keeps its default.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        leds = try container.decodeIfPresent(String.self, forKey: .leds)
        rgbColor = try container.decodeIfPresent(String.self, forKey: .rgbColor)
        rgbMode = try container.decodeIfPresent(String.self, forKey: .rgbMode)
        lastSequence = try container.decodeIfPresent(String.self, forKey: .lastSequence)
        lastBuzzerMilliseconds = try container.decodeIfPresent(Int.self, forKey: .lastBuzzerMilliseconds)
        relays = try container.decodeIfPresent([RelayState].self, forKey: .relays) ?? []
        commandsApplied = try container.decodeIfPresent(Int.self, forKey: .commandsApplied) ?? 0
        commandsRefused = try container.decodeIfPresent(Int.self, forKey: .commandsRefused) ?? 0
        lastCommand = try container.decodeIfPresent(Date.self, forKey: .lastCommand)
        lastRefusal = try container.decodeIfPresent(String.self, forKey: .lastRefusal)
    }

    public mutating func apply(_ command: ReaderCommand, at now: Date) {
        commandsApplied += 1
        lastCommand = now
        if let sequence = command.sequence { lastSequence = Hex.encode([sequence]) }
        if let leds = command.leds { self.leds = Hex.encode(leds) }
        if let rgbColor = command.rgbColor { self.rgbColor = ReaderCommand.hexColor(rgbColor) }
        if let rgbMode = command.rgbMode { self.rgbMode = Hex.encode([rgbMode]) }
        if let buzzer = command.buzzerMilliseconds { lastBuzzerMilliseconds = Int(buzzer) }
        // A command built in code skips validation; the state stays within the reader's relays anyway.
        for (index, action) in (command.relays ?? []).prefix(ReaderCommand.relayLimit).enumerated() {
            while relays.count <= index { relays.append(RelayState(on: false)) }
            switch action {
            case .set(let on): relays[index] = RelayState(on: on)
            case .pulse(let milliseconds):
                relays[index] = RelayState(on: true, until: now.addingTimeInterval(Double(milliseconds) / 1000))
            }
        }
    }

    /// Timed relays whose time has passed become off for good, so every view of the state (the
    /// JSON status, the text, the metrics) says the same from one value.
    public mutating func settle(at now: Date) {
        relays = relays.map { $0.isOn(at: now) || $0.until == nil ? $0 : RelayState(on: false) }
    }

    public func settled(at now: Date) -> ReaderIndicators {
        var copy = self
        copy.settle(at: now)
        return copy
    }

    /// When the next timed relay still on goes off; nil when none is timed.
    public func nextRelayExpiry(after now: Date) -> Date? {
        relays.compactMap { $0.isOn(at: now) ? $0.until : nil }.min()
    }

    public mutating func refuse(because reason: String, at now: Date) {
        commandsRefused += 1
        lastCommand = now
        lastRefusal = reason
    }

    /// One line for `status`: what the reader shows now.
    public func summary(at now: Date) -> String {
        var parts: [String] = []
        if let leds { parts.append("LEDs \(leds)") }
        if let rgbColor { parts.append("RGB colour \(rgbColor)") }
        if let rgbMode { parts.append("RGB mode \(rgbMode)") }
        if let lastSequence { parts.append("last sequence \(lastSequence)") }
        if let lastBuzzerMilliseconds { parts.append("last beep \(lastBuzzerMilliseconds) ms") }
        for (index, relay) in relays.enumerated() { parts.append("relay \(index + 1) \(relay.isOn(at: now) ? "on" : "off")") }
        parts.append("\(commandsApplied) commands applied, \(commandsRefused) refused")
        return parts.joined(separator: ", ") + (lastRefusal.map { " (last refusal: \($0))" } ?? "")
    }
}

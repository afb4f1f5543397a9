import Foundation
import SpringCore

/// A recorded sequence of tag events: JSON Lines, one event a line, the READER EVENT field names
/// plus `t`, seconds from the start of the trace. `TagId` and `Move` are required.
public struct Trace: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var offset: Duration
        public var event: TagEvent

        public init(offset: Duration, event: TagEvent) {
            self.offset = offset
            self.event = event
        }
    }

    public var entries: [Entry]

    /// The latest `t` a trace may have, in seconds (about 31 years): no recording is longer, and
    /// the bound keeps every offset, divided by the slowest replay speed, far inside `Duration`.
    public static let longestOffsetSeconds: Double = 1_000_000_000

    public init(entries: [Entry]) { self.entries = entries }

    /// One line of a trace file (without the line feed): what `smartreader record` writes and
    /// `parse` reads back.
    public static func line(for event: TagEvent, at offset: Duration) -> String {
        var object = CompactJSONObject()
        object.add("t", Double(offset / .milliseconds(1)).rounded() / 1000)
        object.add("TagId", event.tagID)
        object.add("Protocol", event.protocolName)
        object.addIfPresent("Interface", event.interface)
        if let rssi = event.rssi { object.add("RSSI", rssi) }
        object.add("Move", event.move.rawValue)
        object.addIfPresent("TagData", event.tagData)
        object.addIfPresent("TagDetails", event.tagDetails)
        return object.text
    }

    public static func load(contentsOf path: String) throws(TraceError) -> Trace {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path) }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(TraceError) -> Trace {
        var entries: [Entry] = []
        var previous = Duration.zero
        let lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            let entry = try parseLine(Data(trimmed), file: file, line: number)
            guard entry.offset >= previous else {
                throw .invalid(
                    file: file, line: number,
                    reason: "\"t\" is \(entry.offset), earlier than the line before (\(previous)); lines must be in time order")
            }
            previous = entry.offset
            entries.append(entry)
        }
        return Trace(entries: entries)
    }

    private static func parseLine(_ data: Data, file: String, line: Int) throws(TraceError) -> Entry {
        guard case .object(let fields)? = try? JSONParser.parse(data) else {
            throw .invalid(file: file, line: line, reason: "not a JSON object")
        }
        func string(_ key: String, required: Bool = false) throws(TraceError) -> String? {
            switch fields[key] {
            case nil where required: throw .invalid(file: file, line: line, reason: "\"\(key)\" is missing")
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw .invalid(file: file, line: line, reason: "\"\(key)\" must be a string")
            }
        }
        guard case .number(let seconds)? = fields["t"], (0...longestOffsetSeconds).contains(seconds),
            let milliseconds = Int64(exactly: (seconds * 1000).rounded())
        else {
            throw .invalid(
                file: file, line: line, reason: "\"t\" must be a number of seconds from 0 to \(Int(longestOffsetSeconds))")
        }
        let tagID = try string("TagId", required: true)!.uppercased()
        guard !tagID.isEmpty, Hex.decode(tagID) != nil else {
            throw .invalid(file: file, line: line, reason: "\"TagId\" must be hex digits, an even number of them")
        }
        let moveText = try string("Move", required: true)!
        guard let move = TagEvent.Move(rawValue: moveText) else {
            // Quoted short and escaped: the line may hold anything, and the message goes to a terminal.
            let shown = String(moveText.prefix(24)).debugDescription + (moveText.count > 24 ? "…" : "")
            throw .invalid(file: file, line: line, reason: "\"Move\" must be Insert, Remove or Insert,Remove, not \(shown)")
        }
        var rssi: Int?
        switch fields["RSSI"] {
        case nil, .null?: rssi = nil
        case .number(let value)? where value == value.rounded() && abs(value) < 256: rssi = Int(value)
        default: throw .invalid(file: file, line: line, reason: "\"RSSI\" must be an integer")
        }
        let event = TagEvent(
            tagID: tagID, protocolName: try string("Protocol") ?? "NFC-A", interface: try string("Interface"),
            rssi: rssi, move: move, tagData: try string("TagData") ?? "", tagDetails: try string("TagDetails") ?? "")
        return Entry(offset: .milliseconds(milliseconds), event: event)
    }
}

public enum TraceError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(file: String)
    case invalid(file: String, line: Int, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file): "\(file): cannot be read; check the path"
        case .invalid(let file, let line, let reason): "\(file):\(line): \(reason)"
        }
    }
}

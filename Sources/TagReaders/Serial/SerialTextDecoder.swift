import SpringCore

/// Tag events from the text protocols serial readers send: `$SCRDR` lines (checksum checked),
/// MK1 lines (`+<identifier>`, the `#NAME/RDR` banner), plain hex or decimal lines, and RDM6300
/// frames (STX, 10 hex digits, 2 hex digits of XOR checksum, ETX). `auto` tells them apart
/// line by line. Readers that report a read but not a removal give `Insert`.
public struct SerialTextDecoder: Sendable {
    public enum Output: Sendable, Equatable {
        case tag(TagEvent)
        case banner(String)
        /// A line or frame that was dropped, with why; the reader keeps going.
        case dropped(String)

        /// Hands a tag on; logs anything else, naming the device it came from.
        func deliver(from path: String, emit: (TagEvent) -> Void, log: (String) -> Void) {
            switch self {
            case .tag(let event): emit(event)
            case .banner(let name): log("\(path): reader \(name)")
            case .dropped(let reason): log("\(path): dropped: \(reason)")
            }
        }
    }

    public let textProtocol: SerialTextProtocol
    private var buffer: [UInt8] = []
    static let maximumLine = 64 * 1024

    public init(textProtocol: SerialTextProtocol) { self.textProtocol = textProtocol }

    public mutating func feed(_ bytes: [UInt8]) -> [Output] {
        buffer += bytes
        var outputs: [Output] = []
        while true {
            if let stx = buffer.firstIndex(of: 0x02), textProtocol == .rdm6300 || textProtocol == .auto,
                !buffer[..<stx].contains(where: { $0 == 0x0A || $0 == 0x0D })
            {
                guard let etx = buffer[stx...].firstIndex(of: 0x03) else { break }
                outputs.append(Self.rdm6300(Array(buffer[(stx + 1)..<etx])))
                buffer.removeFirst(etx + 1)
                continue
            }
            guard let end = buffer.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) else {
                if buffer.count > Self.maximumLine {
                    outputs.append(.dropped("a line longer than \(Self.maximumLine) bytes"))
                    buffer.removeAll()
                }
                break
            }
            let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            buffer.removeFirst(end + 1)
            if !line.isEmpty { outputs.append(decode(line)) }
        }
        return outputs
    }

    private func decode(_ line: String) -> Output {
        switch textProtocol {
        case .scrdr: Self.scrdr(line)
        case .mk1: Self.mk1(line)
        case .lines: Self.plain(line)
        case .rdm6300: .dropped("\"\(line.prefix(40))\" is not an RDM6300 frame")
        case .auto:
            if line.hasPrefix("$SCRDR") {
                Self.scrdr(line)
            } else if line.hasPrefix("+") || line.hasPrefix("#") {
                Self.mk1(line)
            } else {
                Self.plain(line)
            }
        }
    }

    static func scrdr(_ line: String) -> Output {
        guard line.hasPrefix("$"), let star = line.lastIndex(of: "*") else { return .dropped("$SCRDR line without a checksum") }
        let body = line[line.index(after: line.startIndex)..<star]
        guard let given = UInt8(line[line.index(after: star)...], radix: 16), SCRDRChecksum.accepts(given, body: body) else {
            return .dropped("$SCRDR checksum does not match: \(line.prefix(80))")
        }
        let fields = body.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        guard fields.first == "SCRDR" else { return .dropped("not a $SCRDR line") }
        guard fields.count >= 9 else {
            return .dropped(fields.count == 1 ? "empty $SCRDR (link check)" : "$SCRDR with \(fields.count) fields, 9 expected")
        }
        let tagID = fields[5].uppercased()
        guard !tagID.isEmpty, Hex.decode(tagID) != nil else { return .dropped("$SCRDR TagId \"\(fields[5])\" is not hex") }
        let move: TagEvent.Move
        switch fields[6] {
        case "", "I": move = .insert
        case "R": move = .remove
        case "IR": move = .insertRemove
        default: return .dropped("$SCRDR Move \"\(fields[6])\" is not I, R or IR")
        }
        let code = { (text: String) in UInt8(text, radix: 16) }
        let interface = code(fields[1]).flatMap { value in SCRDRMessage.interfaceCodes.first { $0.value == value }?.key }
        let protocolName = code(fields[2]).flatMap { value in
            SCRDRMessage.protocolCodes.sorted { $0.key < $1.key }.first { $0.value == value }?.key
        }
        let rssi = code(fields[4]).map { Int(Int8(bitPattern: $0)) }
        return .tag(
            TagEvent(
                tagID: tagID, protocolName: protocolName ?? "NFC-A", interface: interface, rssi: rssi, move: move, tagData: fields[7],
                tagDetails: fields[8]))
    }

    static func mk1(_ line: String) -> Output {
        if line.hasPrefix("#") { return .banner(String(line.dropFirst())) }
        // +<prefix><identifier><suffix>: the identifier is the longest run of hex digits.
        let runs = line.dropFirst().split { !$0.isHexDigit }
        guard let identifier = runs.max(by: { $0.count < $1.count }), identifier.count >= 2 else {
            return .dropped("MK1 line without an identifier: \(line.prefix(80))")
        }
        let hex = identifier.count % 2 == 0 ? String(identifier) : "0" + identifier
        return .tag(TagEvent(tagID: hex.uppercased(), protocolName: "NFC-A", move: .insert))
    }

    /// Hex when the line has a hex letter, decimal when it is all digits (as cheap readers type
    /// their 10-digit numbers), as 4 bytes when it fits.
    static func plain(_ line: String) -> Output {
        // ASCII digits only: `isNumber` also holds for "½" and "٣", whose UTF-8 bytes are no digits.
        if line.allSatisfy({ $0.isASCII && $0.isNumber }), let tagID = decimalToHex(line) {
            return .tag(TagEvent(tagID: tagID, protocolName: "NFC-A", move: .insert, tagDetails: "decimal \(line)"))
        }
        if line.count % 2 == 0, line.count >= 2, Hex.decode(line) != nil {
            return .tag(TagEvent(tagID: line.uppercased(), protocolName: "NFC-A", move: .insert))
        }
        return .dropped("\"\(line.prefix(40))\" is neither hex nor decimal")
    }

    static func decimalToHex(_ digits: String) -> String? {
        guard !digits.isEmpty, digits.count <= 40 else { return nil }
        var bytes: [UInt8] = []
        for digit in digits.utf8 {
            var carry = Int(digit - UInt8(ascii: "0"))
            for index in bytes.indices.reversed() {
                let value = Int(bytes[index]) * 10 + carry
                bytes[index] = UInt8(value & 0xFF)
                carry = value >> 8
            }
            while carry > 0 {
                bytes.insert(UInt8(carry & 0xFF), at: 0)
                carry >>= 8
            }
        }
        return Hex.encode([UInt8](repeating: 0, count: max(0, 4 - bytes.count)) + bytes)
    }

    static func rdm6300(_ frame: [UInt8]) -> Output {
        let text = String(decoding: frame, as: UTF8.self)
        guard text.count == 12, let bytes = Hex.decode(text) else {
            return .dropped("RDM6300 frame \"\(text.prefix(20))\" is not 12 hex digits")
        }
        guard bytes[0..<5].reduce(0, ^) == bytes[5] else { return .dropped("RDM6300 checksum does not match in \(text)") }
        return .tag(TagEvent(tagID: Hex.encode(bytes[0..<5]), protocolName: "EM4100", interface: "125", move: .insert))
    }
}

/// A serial reader speaking one of the text protocols.
public struct SerialTextReader: TagSourceDriver {
    public let path: String
    public let baud: Int
    public let textProtocol: SerialTextProtocol

    public init(path: String, baud: Int = 115_200, textProtocol: SerialTextProtocol = .auto) {
        self.path = path
        self.baud = baud
        self.textProtocol = textProtocol
    }

    public func run(emit: (TagEvent) -> Void, running: () -> Bool, log: (String) -> Void) throws(ReaderError) {
        let port = try SerialPort(path: path, baud: baud)
        log("\(path): reading \(textProtocol.rawValue) at \(baud) bps")
        var decoder = SerialTextDecoder(textProtocol: textProtocol)
        while running() {
            for output in decoder.feed(try port.read(timeout: .milliseconds(200))) {
                output.deliver(from: path, emit: emit, log: log)
            }
        }
    }
}

/// Register 03t1: how template t (1 to 4) writes a tag identifier. The reference names the
/// fields; where it stops, the project's choices are marked "project choice" and the README
/// lists them.
///
/// Byte 0: bit 7 reverse the byte order; bit 6 output the bytes as characters (project choice
/// for "string vs numeric"); bit 5 pad back to the fixed width with spaces after suppressing
/// zeros (project choice); bit 4 suppress leading zeros; bits 3-0 the format and length.
/// Byte 1 (optional, project choice for its layout): bit 7 set means bits rather than bytes,
/// bits 6-0 how many leading ones are dropped before anything else.
public struct TemplateOutputFormat: Sendable, Equatable {
    public enum Layout: UInt8, Sendable, CaseIterable {
        case decimal4Bytes = 0b0000
        case hex4Bytes = 0b0001
        case hex7Bytes = 0b0101
        case decimal12Digits = 0b1100
        case decimal13Digits = 0b1101
        case decimalVariable = 0b1110
        case hexVariable = 0b1111

        /// Bytes taken from the identifier, or nil for all of them.
        var byteCount: Int? {
            switch self {
            case .decimal4Bytes, .hex4Bytes: 4
            case .hex7Bytes: 7
            default: nil
            }
        }

        /// The width of the output in digits, or nil when it varies with the identifier.
        var width: Int? {
            switch self {
            case .decimal4Bytes: 10
            case .hex4Bytes: 8
            case .hex7Bytes: 14
            case .decimal12Digits: 12
            case .decimal13Digits: 13
            case .decimalVariable, .hexVariable: nil
            }
        }
    }

    public var reverseBytes: Bool
    public var asCharacters: Bool
    public var padWithSpaces: Bool
    public var suppressLeadingZeros: Bool
    public var layout: Layout
    public var dropBits: Bool
    public var dropCount: Int

    public init(bytes: [UInt8]) throws(TemplateFormatError) {
        guard bytes.count == 1 || bytes.count == 2 else { throw .length(bytes.count) }
        guard let layout = Layout(rawValue: bytes[0] & 0x0F) else { throw .undocumentedLayout(bytes[0] & 0x0F) }
        self.layout = layout
        reverseBytes = bytes[0] & 0x80 != 0
        asCharacters = bytes[0] & 0x40 != 0
        padWithSpaces = bytes[0] & 0x20 != 0
        suppressLeadingZeros = bytes[0] & 0x10 != 0
        let drop = bytes.count == 2 ? bytes[1] : 0
        dropBits = drop & 0x80 != 0
        dropCount = Int(drop & 0x7F)
    }

    /// The identifier (`tagID`, hex) as this template writes it.
    public func render(tagID: [UInt8]) -> String {
        var bytes = dropBits ? Self.dropLeadingBits(tagID, count: dropCount) : Array(tagID.dropFirst(dropCount))
        if reverseBytes { bytes.reverse() }
        if asCharacters {
            return String(decoding: bytes.map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
        }
        if let count = layout.byteCount {
            bytes = Array(repeating: 0, count: max(0, count - bytes.count)) + bytes.prefix(count)
        }
        var digits: String
        switch layout {
        case .hex4Bytes, .hex7Bytes, .hexVariable:
            digits = Hex.encode(bytes)
        case .decimal4Bytes, .decimal12Digits, .decimal13Digits, .decimalVariable:
            digits = Self.decimal(bytes)
        }
        if let width = layout.width {
            // Fixed widths keep the lowest digits, as a counter display does.
            digits = String(repeating: "0", count: max(0, width - digits.count)) + digits.suffix(width)
        }
        if suppressLeadingZeros {
            let trimmed = digits.drop { $0 == "0" }
            digits = trimmed.isEmpty ? "0" : String(trimmed)
            if padWithSpaces, let width = layout.width {
                digits = String(repeating: " ", count: width - digits.count) + digits
            }
        }
        return digits
    }

    /// A big-endian unsigned integer of any length, in decimal.
    static func decimal(_ bytes: [UInt8]) -> String {
        var number = Array(bytes.drop { $0 == 0 })
        guard !number.isEmpty else { return "0" }
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            for byte in number {
                let value = remainder << 8 | Int(byte)
                let digit = UInt8(value / 10)
                if !quotient.isEmpty || digit != 0 { quotient.append(digit) }
                remainder = value % 10
            }
            digits.append(UInt8(ascii: "0") + UInt8(remainder))
            number = quotient
        }
        return String(decoding: digits.reversed(), as: UTF8.self)
    }

    static func dropLeadingBits(_ bytes: [UInt8], count: Int) -> [UInt8] {
        let remaining = bytes.count * 8 - count
        guard remaining > 0 else { return [] }
        var bits = bytes.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }.suffix(remaining)
        bits = Array(repeating: 0, count: (8 - remaining % 8) % 8) + bits
        return stride(from: bits.startIndex, to: bits.endIndex, by: 8).map { start in
            bits[start..<start + 8].reduce(0) { $0 << 1 | $1 }
        }
    }
}

public enum TemplateFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case length(Int)
    case undocumentedLayout(UInt8)

    public var description: String {
        switch self {
        case .length(let count):
            "holds 1 or 2 bytes (format, then leading bits or bytes to drop), got \(count)"
        case .undocumentedLayout(let code):
            "uses format code \(String(code, radix: 2).leftPadded(to: 4)), which the reference does not define; "
                + "use 0000, 0001, 0101, 1100, 1101, 1110 or 1111"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        String(repeating: pad, count: max(0, width - count)) + self
    }
}

/// The template in force: the first of templates 1 to 4 whose output format register is set
/// (project choice; the reference says only that `Template` is 0 when templates are off).
public struct ActiveTemplate: Sendable, Equatable {
    public var number: Int
    public var format: TemplateOutputFormat

    public init(number: Int, format: TemplateOutputFormat) {
        self.number = number
        self.format = format
    }

    public static func register(for template: Int) -> RegisterAddress { RegisterAddress(bank: 0x03, number: UInt8(template << 4 | 1)) }

    /// nil when no template is set; an error naming the register when one is set badly.
    public static func find(in data: ConfigData) throws(ConfigurationError) -> ActiveTemplate? {
        for number in 1...4 {
            let register = register(for: number)
            guard let bytes = data[register], !bytes.isEmpty else { continue }
            do {
                return ActiveTemplate(number: number, format: try TemplateOutputFormat(bytes: bytes))
            } catch {
                throw .badRegister(register, reason: error.description)
            }
        }
        return nil
    }
}

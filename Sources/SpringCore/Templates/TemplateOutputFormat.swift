/// Register 03t1 ("Output Size and Format") of SpringCard's ID Only template, as
/// xmls/springcore-nfc-templates.xml (springcard/springcore-xmlfiles, template `id_only`,
/// register 0001, 2 bytes, default 0000) defines it:
///
/// byte 0 bits 7-6 "Swap": 0 the ID as is, 1 RFU, 2 inverted for short (4-byte) NFC-A IDs only,
/// 3 inverted for every ID; bit 5 the padding of an ID shorter than the length (0: `00` on the
/// left, 1: `FF` on the right); bit 4 ID only (0) or all the protocol bytes (1); bits 3-0 the
/// length and format (sixteen codes, 7 RFU). The template defines no field in byte 1.
public struct TemplateOutputFormat: Sendable, Equatable {
    public enum Swap: UInt8, Sendable {
        case none = 0
        case shortNFCAOnly = 2
        case all = 3
    }

    public enum Padding: Sendable, Equatable {
        case zerosInFront
        case ffAfter
    }

    /// The vendor's "Length and Format" codes; 7 is RFU.
    public enum Layout: UInt8, Sendable, CaseIterable {
        case decimal10Digits = 0
        case hex4Bytes = 1
        case hex8Bytes = 2
        case hex5Bytes = 3
        case hex10Bytes = 4
        case hex7Bytes = 5
        case hex11Bytes = 6
        case hex16Bytes = 8
        case hex20Bytes = 9
        case hex24Bytes = 10
        case hex32Bytes = 11
        case decimal12Digits = 12
        case decimal13Digits = 13
        case decimalVariable = 14
        case hexVariable = 15

        /// Bytes of the identifier the format takes ("truncation on 4-B", "5-B"), nil for all of them.
        public var byteCount: Int? {
            switch self {
            case .decimal10Digits, .hex4Bytes: 4
            case .hex8Bytes: 8
            case .hex5Bytes, .decimal12Digits, .decimal13Digits: 5
            case .hex10Bytes: 10
            case .hex7Bytes: 7
            case .hex11Bytes: 11
            case .hex16Bytes: 16
            case .hex20Bytes: 20
            case .hex24Bytes: 24
            case .hex32Bytes: 32
            case .decimalVariable, .hexVariable: nil
            }
        }

        /// Digits of a fixed-width decimal format, nil otherwise.
        var decimalWidth: Int? {
            switch self {
            case .decimal10Digits: 10
            case .decimal12Digits: 12
            case .decimal13Digits: 13
            default: nil
            }
        }

        var isDecimal: Bool { self == .decimalVariable || decimalWidth != nil }
    }

    public var swap: Swap
    public var padding: Padding
    public var layout: Layout

    public init(bytes: [UInt8]) throws(TemplateFormatError) {
        guard bytes.count == 1 || bytes.count == 2 else { throw .length(bytes.count) }
        guard let swap = Swap(rawValue: bytes[0] >> 6) else { throw .reservedSwap }
        guard bytes[0] & 0x10 == 0 else { throw .allProtocolBytes }
        guard let layout = Layout(rawValue: bytes[0] & 0x0F) else { throw .reservedLayout }
        self.swap = swap
        padding = bytes[0] & 0x20 == 0 ? .zerosInFront : .ffAfter
        self.layout = layout
    }

    /// The identifier after the "Swap" field: a short NFC-A ID is 4 bytes long.
    public func swapped(_ tagID: [UInt8], protocolName: String) -> [UInt8] {
        switch swap {
        case .none: tagID
        case .all: tagID.reversed()
        case .shortNFCAOnly: protocolName == "NFC-A" && tagID.count == 4 ? tagID.reversed() : tagID
        }
    }

    /// The (swapped, shifted) identifier cut or padded to the format's length, then written.
    public func write(_ identifier: [UInt8]) -> String {
        var bytes = identifier
        if let count = layout.byteCount {
            // The vendor says "truncation" without saying which end; the first bytes are kept.
            let shortfall = max(0, count - bytes.count)
            bytes = Array(bytes.prefix(count))
            switch padding {
            case .zerosInFront: bytes = Array(repeating: 0, count: shortfall) + bytes
            case .ffAfter: bytes += Array(repeating: 0xFF, count: shortfall)
            }
        }
        guard layout.isDecimal else { return Hex.encode(bytes) }
        let digits = Self.decimal(bytes)
        guard let width = layout.decimalWidth else { return digits }
        // Five bytes can need 13 digits; a 12-digit display keeps the lowest ones.
        return digits.leftPadded(to: width).suffix(width).description
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
}

public enum TemplateFormatError: Error, Equatable, Sendable, CustomStringConvertible {
    case length(Int)
    case reservedSwap
    case allProtocolBytes
    case reservedLayout
    case lookupLength(Int)
    case unknownLookup(UInt8)
    case shiftLength(Int)
    case shiftBits(UInt8)
    case shiftLeavesNothing(bytes: Int, bits: Int, length: Int)

    public var description: String {
        switch self {
        case .length(let count):
            "holds 1 or 2 bytes (the ID Only template's output size and format), got \(count)"
        case .reservedSwap:
            "sets Swap (byte 0 bits 7-6) to 1, which SpringCard reserves (RFU); use 0 (as is), 2 (invert 4-byte NFC-A IDs) or 3 (invert all)"
        case .allProtocolBytes:
            "asks for all the protocol bytes (byte 0 bit 4: ATQ-A, ATQ-B...), which the emulator's readers do not report; "
                + "clear bit 4 to send the ID only"
        case .reservedLayout:
            "uses length and format code 0111 (byte 0 bits 3-0), which SpringCard reserves (RFU); use 0 to 6 or 8 to F "
                + "(0 decimal 10 digits, 1 hex 4 bytes, 5 hex 7 bytes, F hex variable...)"
        case .lookupLength(let count):
            "holds one lookup byte (the protocols the template serves; empty or 00 disables it), got \(count)"
        case .unknownLookup(let code):
            "selects lookup \(Hex.encode([code])), which is not one of SpringCard's ID Only template lookups, the only template "
                + "the emulator runs; use FF (all protocols), 01 (NFC-A), 02 (NFC-B), 03, 04 (NFC-V), 07, 08 (NFC-F), 0F or 20-2C, or 00 to disable it"
        case .shiftLength(let count):
            "holds 2 bytes (leading bytes, then leading bits to suppress), got \(count)"
        case .shiftBits(let bits):
            "suppresses \(bits) leading bits (byte 1); SpringCard's valid range is 0 to 7, put whole bytes in byte 0"
        case .shiftLeavesNothing(let bytes, let bits, let length):
            "suppresses \(bytes) bytes and \(bits) bits, which leaves nothing of a \(length)-byte ID, the length its template's "
                + "03t1 writes: every such tag would go out as padding only; suppress less than \(length) bytes"
        }
    }
}

extension String {
    func leftPadded(to width: Int, with pad: Character = "0") -> String {
        String(repeating: pad, count: max(0, width - count)) + self
    }
}

/// A tag event as a `$SCRDR` text line, the output 02A0 = 01 selects:
/// `$SCRDR;<Interface>;<Protocol>;<Template>;<RSSI>;<TagId>;<Move>;<TagData>;<TagDetails>*<CS>\r\n`.
///
/// The Interface and Protocol codes are a project choice: the reference gives the field as two
/// hex digits but not the vendor's table. Names the table does not know are sent as `00`.
public struct SCRDRMessage: Sendable, Equatable {
    public static let interfaceCodes: [String: UInt8] = ["13.56": 0x01, "125": 0x02]
    public static let protocolCodes: [String: UInt8] = [
        "NFC-A": 0x01, "NFC-B": 0x02, "NFC-F": 0x03, "FeliCa": 0x03, "NFC-V": 0x04, "ISO15693": 0x04,
        "EM4100": 0x10, "EM4102": 0x10, "HID Prox": 0x11, "Indala": 0x12,
    ]

    public var event: ReaderEventMessage

    public init(_ event: ReaderEventMessage) { self.event = event }

    /// The line with its checksum (XOR of the characters between `$` and `*`) and CR LF.
    public var text: String {
        let moveCode: String =
            switch event.move {
            case "Insert": "I"
            case "Remove": "R"
            case "Insert,Remove": "IR"
            default: ""
            }
        let fields = [
            "SCRDR", Hex.encode([Self.interfaceCodes[event.interface] ?? 0]), Hex.encode([Self.protocolCodes[event.protocolName] ?? 0]),
            Hex.encode([UInt8(truncatingIfNeeded: event.template)]), event.rssi.map { Hex.encode([UInt8(truncatingIfNeeded: $0)]) } ?? "",
            Self.printable(event.tagID), moveCode, Self.printable(event.tagData ?? ""), Self.printable(event.tagDetails ?? ""),
        ]
        let body = fields.joined(separator: ";")
        return "$\(body)*\(Hex.encode([SCRDRChecksum.compute(body: body)]))\r\n"
    }

    /// Printable ASCII only, and never a field separator or the checksum mark: those become `_`.
    static func printable(_ text: String) -> String {
        String(
            decoding: text.utf8.map {
                (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: ";") && $0 != UInt8(ascii: "*") ? $0 : UInt8(ascii: "_")
            },
            as: UTF8.self)
    }
}

/// The legacy MK1 serial output: a banner at start-up, then one line a tag.
public enum MK1Line {
    /// `#` + product name + `/RDR`, e.g. `#M519/RDR`.
    public static func banner(productName: String) -> String { "#\(productName)/RDR\r\n" }

    /// `+<prefix><card identifier><suffix>` and CR LF.
    public static func tag(_ identifier: String, prefix: String = "", suffix: String = "") -> String {
        "+\(prefix)\(identifier)\(suffix)\r\n"
    }
}

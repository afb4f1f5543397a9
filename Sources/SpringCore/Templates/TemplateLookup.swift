/// Register 03t0: which cards template t serves. SpringCard's ID Only template
/// (xmls/springcore-nfc-templates.xml, template `id_only`, its `lookups`) lists one-byte
/// values: FF all supported protocols; 01 NFC-A, 02 NFC-B, 04 NFC-V, 08 NFC-F and their sums
/// 03, 07, 0F; 20-2C single legacy protocols (28 FeliCa). Empty or 00 disables the template.
/// Other values select the vendor's data-reading templates (Apple VAS, Mifare...), which read
/// card memory the emulator does not have.
public struct TemplateLookup: Sendable, Equatable {
    public let code: UInt8

    static let idOnlyCodes: Set<UInt8> = [
        0xFF, 0x01, 0x02, 0x03, 0x04, 0x07, 0x08, 0x0F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x28, 0x2A, 0x2C,
    ]

    /// nil when the register leaves the template disabled.
    public init?(bytes: [UInt8]) throws(TemplateFormatError) {
        guard bytes.count <= 1 else { throw .lookupLength(bytes.count) }
        guard let code = bytes.first, code != 0 else { return nil }
        guard Self.idOnlyCodes.contains(code) else { throw .unknownLookup(code) }
        self.code = code
    }

    /// Whether a tag read with this protocol (the READER EVENT `Protocol` name) is the template's.
    public func serves(protocolName: String) -> Bool {
        switch code {
        case 0xFF: true
        case 0x01...0x0F: Self.nfcBit(protocolName).map { code & $0 != 0 } ?? false
        case 0x28: protocolName == "FeliCa" || protocolName == "NFC-F"
        // The emulator's readers name none of the other legacy protocols, so they match nothing.
        default: false
        }
    }

    static func nfcBit(_ protocolName: String) -> UInt8? {
        switch protocolName {
        case "NFC-A": 0x01
        case "NFC-B": 0x02
        case "NFC-V", "ISO15693", "ISO 15693": 0x04
        case "NFC-F", "FeliCa": 0x08
        default: nil
        }
    }
}

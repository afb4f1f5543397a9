import Foundation
import SpringCore
import Testing

private let uid7: [UInt8] = [0x04, 0x7D, 0xAE, 0x02, 0xC8, 0x40, 0x80]
private let uid4: [UInt8] = [0xDA, 0x12, 0x75, 0xB0]

/// Each row: the 03t1 value, the identifier and its protocol, and what SpringCard's ID Only
/// template (xmls/springcore-nfc-templates.xml, template `id_only`, register 0001, field named
/// in the comment) says comes out.
@Test(
    "03t1 follows the vendor's ID Only template: Swap, Padding, and every Length and Format code",
    arguments: [
        ([0x0F], uid7, "NFC-A", "047DAE02C84080"),  // Length and Format 15: raw (hex), variable length
        ([0x01], uid7, "NFC-A", "047DAE02"),  // 1: raw (hex), 4 bytes (a longer ID truncated)
        ([0x02], uid7, "NFC-A", "00047DAE02C84080"),  // 2: raw (hex), 8 bytes, padded with 00 on the left
        ([0x03], uid4, "NFC-A", "00DA1275B0"),  // 3: raw (hex), 5 bytes
        ([0x04], uid7, "NFC-A", "000000047DAE02C84080"),  // 4: raw (hex), 10 bytes
        ([0x05], uid4, "NFC-A", "000000DA1275B0"),  // 5: raw (hex), 7 bytes
        ([0x06], uid7, "NFC-A", "00000000047DAE02C84080"),  // 6: raw (hex), 11 bytes
        ([0x08], uid7, "NFC-A", String(repeating: "00", count: 9) + "047DAE02C84080"),  // 8: 16 bytes
        ([0x09], uid7, "NFC-A", String(repeating: "00", count: 13) + "047DAE02C84080"),  // 9: 20 bytes
        ([0x0A], uid7, "NFC-A", String(repeating: "00", count: 17) + "047DAE02C84080"),  // 10: 24 bytes
        ([0x0B], uid7, "NFC-A", String(repeating: "00", count: 25) + "047DAE02C84080"),  // 11: 32 bytes
        ([0x00], uid4, "NFC-A", "3658642864"),  // 0: decimal, 10 digits (truncation on 4 bytes)
        ([0x00, 0x00], [0x00, 0x00, 0x30, 0x39], "NFC-A", "0000012345"),  // the default 0000
        ([0x0C], uid7, "NFC-A", "019288425160"),  // 12: decimal, 12 digits (truncation on 5 bytes: 047DAE02C8)
        ([0x0D], uid7, "NFC-A", "0019288425160"),  // 13: decimal, 13 digits (truncation on 5 bytes)
        ([0x0E], uid7, "NFC-A", "1264086231302272"),  // 14: decimal, variable length
        ([0x25], uid4, "NFC-A", "DA1275B0FFFFFF"),  // Padding 1: FF on the right
        ([0x81], uid4, "NFC-A", "B07512DA"),  // Swap 2, a 4-byte NFC-A ID: inverted
        ([0x8F], uid7, "NFC-A", "047DAE02C84080"),  // Swap 2, a 7-byte ID: as is
        ([0x8F], uid4, "NFC-B", "DA1275B0"),  // Swap 2, a 4-byte NFC-B PUPI: as is
        ([0xC1], uid4, "NFC-B", "B07512DA"),  // Swap 3: inverted for every ID
        ([0xC0], uid4, "NFC-A", "2960462554"),  // Swap 3 then decimal 10 digits
    ] as [([UInt8], [UInt8], String, String)])
func templateOutputFormat(format: [UInt8], tagID: [UInt8], protocolName: String, expected: String) throws {
    let template = ActiveTemplate(
        number: 1, lookup: try #require(try TemplateLookup(bytes: [0xFF])), format: try TemplateOutputFormat(bytes: format))
    #expect(template.render(tagID: tagID, protocolName: protocolName) == expected)
}

@Test("03t3 (Location of Data) suppresses leading bytes (byte 0), then leading bits (byte 1, 0-7)")
func templateShift() throws {
    let lookup = try #require(try TemplateLookup(bytes: [0x01]))
    let hex = try TemplateOutputFormat(bytes: [0x0F])
    #expect(
        ActiveTemplate(number: 1, lookup: lookup, format: hex, shift: try TemplateShift(register: [0x02, 0x00]))
            .render(tagID: uid7, protocolName: "NFC-A") == "AE02C84080")
    #expect(
        ActiveTemplate(number: 1, lookup: lookup, format: hex, shift: try TemplateShift(register: [0x00, 0x04]))
            .render(tagID: [0xAB, 0xCD], protocolName: "NFC-A") == "0BCD")
    #expect(throws: TemplateFormatError.shiftBits(8)) { try TemplateShift(register: [0x00, 0x08]) }
}

@Test("03t0 enables a template for the protocols of its lookup; empty or 00 leaves it off")
func templateLookup() throws {
    #expect(try TemplateLookup(bytes: []) == nil)
    #expect(try TemplateLookup(bytes: [0x00]) == nil)
    let nfcAB = try #require(try TemplateLookup(bytes: [0x03]))  // "NFC-A and NFC-B"
    #expect(nfcAB.serves(protocolName: "NFC-A") && nfcAB.serves(protocolName: "NFC-B") && !nfcAB.serves(protocolName: "NFC-F"))
    let nfcV = try #require(try TemplateLookup(bytes: [0x04]))  // "NFC-V - ISO/IEC 15693"
    #expect(nfcV.serves(protocolName: "ISO15693") && !nfcV.serves(protocolName: "NFC-A"))
    let all = try #require(try TemplateLookup(bytes: [0xFF]))  // "All supported protocols"
    #expect(all.serves(protocolName: "EM4100"))
    let felica = try #require(try TemplateLookup(bytes: [0x28]))  // "FeliCa"
    #expect(felica.serves(protocolName: "FeliCa") && !felica.serves(protocolName: "NFC-A"))
    #expect(throws: TemplateFormatError.unknownLookup(0xD1)) { try TemplateLookup(bytes: [0xD1]) }  // Apple VAS template
    #expect(throws: TemplateFormatError.unknownLookup(0x05)) { try TemplateLookup(bytes: [0x05]) }
}

@Test("the vendor's reserved values are refused with the register named; a disabled template is not read")
func templateRefusals() throws {
    var data = ConfigData()
    #expect(try ActiveTemplate.enabled(in: data).isEmpty)
    data[ActiveTemplate.register(1, of: 2)] = [0x07]
    #expect(try ActiveTemplate.enabled(in: data).isEmpty)  // 0320 empty: template 2 off, its 0321 unread
    data[ActiveTemplate.register(0, of: 2)] = [0x01]
    #expect(
        throws: ConfigurationError.badRegister(
            RegisterAddress(bank: 0x03, number: 0x21), reason: TemplateFormatError.reservedLayout.description)
    ) {
        try ActiveTemplate.enabled(in: data)
    }
    data[ActiveTemplate.register(1, of: 2)] = [0x4F]
    #expect(
        throws: ConfigurationError.badRegister(
            RegisterAddress(bank: 0x03, number: 0x21), reason: TemplateFormatError.reservedSwap.description)
    ) {
        try ActiveTemplate.enabled(in: data)
    }
    data[ActiveTemplate.register(1, of: 2)] = [0x1F]
    #expect(
        throws: ConfigurationError.badRegister(
            RegisterAddress(bank: 0x03, number: 0x21), reason: TemplateFormatError.allProtocolBytes.description)
    ) {
        try ActiveTemplate.enabled(in: data)
    }
    data[ActiveTemplate.register(1, of: 2)] = nil
    let defaulted = try #require(try ActiveTemplate.enabled(in: data).first)
    #expect(defaulted.number == 2 && defaulted.format.layout == .decimal10Digits)  // 03t1 default 0000
    #expect(
        throws: ConfigDataError.badValue(
            file: "t.json", register: RegisterAddress(bank: 3, number: 0x10), reason: "holds at most 1 bytes, got 2")
    ) {
        try ConfigData.parse(Data(#"{"templates": {"10": "0102"}}"#.utf8), file: "t.json")
    }
}

/// A CONFIG-DATA file in the vendor's registers: template 1 serves NFC-A (0310 = 01) in decimal
/// 10 digits with 4-byte NFC-A IDs inverted (0311 = 8000), template 2 serves every other
/// protocol in variable hex without the first byte (0320 = FF, 0321 = 0F00, 0323 = 0100).
@Test("a CONFIG-DATA file with vendor template registers validates and writes a known UID as the template says")
func vendorTemplateFile() throws {
    let file = #"{"templates": {"10": "01", "11": "8000", "12": "", "14": "00", "20": "FF", "21": "0F00", "23": "0100"}}"#
    let configuration = try DeviceConfiguration(try ConfigData.parse(Data(file.utf8), file: "t.json"))
    #expect(configuration.templates.map(\.number) == [1, 2])
    let nfcA = try #require(configuration.templates.serving(protocolName: "NFC-A"))
    // DA1275B0 inverted is B07512DA = 2960462554.
    #expect(nfcA.number == 1 && nfcA.render(tagID: uid4, protocolName: "NFC-A") == "2960462554")
    let other = try #require(configuration.templates.serving(protocolName: "NFC-B"))
    #expect(other.number == 2 && other.render(tagID: uid4, protocolName: "NFC-B") == "1275B0")
}

@Test("$SCRDR lines carry the codes, the fields and an NMEA-style checksum; MK1 lines and banner")
func textOutputs() throws {
    let event = ReaderEventMessage(
        interface: "13.56", protocolName: "NFC-A", template: 1, rssi: -48, tagID: "047DAE02C84080", move: "Insert",
        tagData: "00", tagDetails: "NTAG;213", uptime: Uptime(bootCount: 1, milliseconds: 0))
    let line = SCRDRMessage(event).text
    let body = "SCRDR;01;01;01;D0;047DAE02C84080;I;00;NTAG_213"
    #expect(line == "$\(body)*\(Hex.encode([body.utf8.reduce(0, ^)]))\r\n")
    #expect(try HostCommandChecksumProbe.accepts(line))
    #expect(MK1Line.banner(productName: "M519") == "#M519/RDR\r\n")
    #expect(MK1Line.tag("047DAE02", prefix: "[", suffix: "]") == "+[047DAE02]\r\n")
}

/// The checksum written is the one the parser for host commands accepts (both share SCRDRChecksum).
private enum HostCommandChecksumProbe {
    static func accepts(_ line: String) throws -> Bool {
        let trimmed = line.trimmingCharacters(in: .newlines)
        guard let star = trimmed.lastIndex(of: "*"), let given = UInt8(trimmed[trimmed.index(after: star)...], radix: 16) else {
            return false
        }
        return SCRDRChecksum.accepts(given, body: trimmed[trimmed.index(after: trimmed.startIndex)..<star])
    }
}

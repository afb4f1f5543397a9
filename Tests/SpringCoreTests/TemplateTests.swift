import Foundation
import SpringCore
import Testing

private let uid7: [UInt8] = [0x04, 0x7D, 0xAE, 0x02, 0xC8, 0x40, 0x80]
private let uid4: [UInt8] = [0xDA, 0x12, 0x75, 0xB0]

@Test(
    "03t1 writes the identifier: format, length, reversal, zero suppression, padding, dropped bytes and bits",
    arguments: [
        ([0x0F], uid7, "047DAE02C84080"),  // hex, variable
        ([0x01], uid7, "047DAE02"),  // hex, first 4 bytes
        ([0x05], uid4, "000000DA1275B0"),  // hex 7 bytes: a short UID is padded with zero bytes in front
        ([0x81], uid4, "B07512DA"),  // reversed
        ([0x00], uid4, "3658642864"),  // decimal of 4 bytes, 10 digits
        ([0x80], uid4, "2960462554"),  // the same, bytes reversed
        ([0x0E], uid7, "1264086231302272"),  // decimal, variable
        ([0x0C], uid7, "086231302272"),  // decimal, 12 digits: the lowest ones
        ([0x0D], [0x00, 0x01], "0000000000001"),  // decimal, 13 digits
        ([0x10], [0x00, 0x00, 0x30, 0x39], "12345"),  // leading zeros suppressed
        ([0x30], [0x00, 0x00, 0x30, 0x39], "     12345"),  // suppressed, then padded back with spaces
        ([0x0F, 0x02], uid7, "AE02C84080"),  // two leading bytes dropped
        ([0x0F, 0x84], [0xAB, 0xCD], "0BCD"),  // four leading bits dropped
        ([0x4F], Array("1234".utf8), "1234"),  // the bytes as characters
    ] as [([UInt8], [UInt8], String)])
func templateRendering(format: [UInt8], tagID: [UInt8], expected: String) throws {
    #expect(try TemplateOutputFormat(bytes: format).render(tagID: tagID) == expected)
}

@Test("an undocumented 03t1 format code is refused with the register named; the first set template is active")
func activeTemplate() throws {
    var data = ConfigData()
    #expect(try ActiveTemplate.find(in: data) == nil)
    data[ActiveTemplate.register(for: 2)] = [0x02]
    #expect(
        throws: ConfigurationError.badRegister(
            RegisterAddress(bank: 0x03, number: 0x21),
            reason: "uses format code 0010, which the reference does not define; use 0000, 0001, 0101, 1100, 1101, 1110 or 1111")
    ) {
        try ActiveTemplate.find(in: data)
    }
    data[ActiveTemplate.register(for: 2)] = [0x0F]
    #expect(try ActiveTemplate.find(in: data)?.number == 2)
    let file = try ConfigData.parse(Data(#"{"templates": {"11": "0102"}}"#.utf8), file: "t.json")
    #expect(try ActiveTemplate.find(in: file)?.number == 1)
    #expect(
        throws: ConfigDataError.badValue(
            file: "t.json", register: RegisterAddress(bank: 3, number: 0x11), reason: "holds at most 2 bytes, got 3")
    ) {
        try ConfigData.parse(Data(#"{"templates": {"11": "010203"}}"#.utf8), file: "t.json")
    }
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

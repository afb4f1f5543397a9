import Foundation
import Gateway
import SpringCore
import TagReaders
import Testing

// The READER EVENT page (docs.springcard.com, SpringCore > Host Protocols > Smart Reader Protocols >
// JSON Messages): "TagId" is sent "always". 03t3 of the ID Only template (xmls/springcore-nfc-templates.xml)
// suppresses leading bytes and bits; with a variable-length format, what is left depends on the tag.

private let uptime = Uptime(bootCount: 1, milliseconds: 0)

@Test("a 03t3 that leaves nothing of a tag's ID (variable format) sends the ID as read with Template 0, never an empty TagId")
func shiftLeavingNothingSendsTheIDAsRead() throws {
    let data = try ConfigData.parse(Data(#"{"templates": {"10": "FF", "11": "0F00", "13": "0A00"}}"#.utf8), file: "t.json")
    let templates = try ActiveTemplate.enabled(in: data)
    let formatter = ReaderEventFormatter(interface: "13.56", templates: templates)
    let sevenBytes = TagEvent(tagID: "04A1B2C3D4E5F6", protocolName: "NFC-A", move: .insert)
    let message = formatter.message(for: sevenBytes, uptime: uptime, includesMove: false)
    #expect(message.tagID == "04A1B2C3D4E5F6" && message.template == 0, "\(message)")
    let elevenBytes = TagEvent(tagID: "04A1B2C3D4E5F60708090A", protocolName: "NFC-A", move: .insert)
    let longer = formatter.message(for: elevenBytes, uptime: uptime, includesMove: false)
    #expect(longer.tagID == "0A" && longer.template == 1, "what is left of a longer ID is still the template's: \(longer)")
}

@Test("a 03t3 short of a fixed format's whole length validates; one that takes it all is refused")
func fixedFormatShiftBoundary() throws {
    let kept = try ConfigData.parse(Data(#"{"templates": {"10": "FF", "11": "0100", "13": "0307"}}"#.utf8), file: "t.json")
    #expect(try ActiveTemplate.enabled(in: kept).count == 1)
    let all = try ConfigData.parse(Data(#"{"templates": {"10": "FF", "11": "0100", "13": "0400"}}"#.utf8), file: "t.json")
    #expect(throws: ConfigurationError.self) { try ActiveTemplate.enabled(in: all) }
}

@Test("03t2 (prefix) holds at most 8 bytes and 03t4 (options) 1, the vendor's sizes, though the emulator only keeps them")
func keptTemplateRegisterSizes() throws {
    #expect(throws: Never.self) { try ConfigData.parse(Data(#"{"templates": {"12.s": "12345678", "14": "01"}}"#.utf8), file: "t.json") }
    #expect(throws: ConfigDataError.self) { try ConfigData.parse(Data(#"{"templates": {"12.s": "123456789"}}"#.utf8), file: "t.json") }
    #expect(throws: ConfigDataError.self) { try ConfigData.parse(Data(#"{"templates": {"14": "0101"}}"#.utf8), file: "t.json") }
    let data = try ConfigData.parse(Data(#"{"templates": {"12.s": "12345678"}}"#.utf8), file: "t.json")
    #expect(data.notEmulatedRegisters == [RegisterAddress(bank: 0x03, number: 0x12)], "kept, not acted on")
}

import Gateway
import SpringCore
import TagReaders
import Testing

private let uptime = Uptime(bootCount: 3, milliseconds: 1_500)
private let insert = TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert)

@Test("the template serving the tag's protocol (03t0) writes the TagId and numbers the event; 02A0 = 01 sends a $SCRDR line")
func formatterFollowsRegisters() throws {
    let nfcB = ActiveTemplate(
        number: 1, lookup: try #require(try TemplateLookup(bytes: [0x02])), format: try TemplateOutputFormat(bytes: [0x0F]))
    let nfcA = ActiveTemplate(
        number: 2, lookup: try #require(try TemplateLookup(bytes: [0x01])), format: try TemplateOutputFormat(bytes: [0x00]))
    let json = ReaderEventFormatter(interface: "13.56", outputFormat: .json, templates: [nfcB, nfcA])
    #expect(
        String(decoding: json.payload(for: insert, uptime: uptime), as: UTF8.self)
            == #"{"Interface":"13.56","Protocol":"NFC-A","Template":2,"TagId":"3658642864","Move":"Insert","Uptime":"3:1.500"}"#)
    let unserved = TagEvent(tagID: "DA1275B0", protocolName: "NFC-F", move: .insert)
    #expect(json.message(for: unserved, uptime: uptime).template == 0 && json.message(for: unserved, uptime: uptime).tagID == "DA1275B0")
    let scrdr = ReaderEventFormatter(interface: "13.56", outputFormat: .scrdr)
    let line = String(decoding: scrdr.payload(for: insert, uptime: uptime), as: UTF8.self)
    #expect(line.hasPrefix("$SCRDR;01;01;00;;DA1275B0;I;;*") && line.hasSuffix("\r\n"))
}

@Test("with the event id asked for, READER EVENT ends with EventId; a $SCRDR line has no field for it and stays as it is")
func eventIDInPayload() {
    let json = ReaderEventFormatter(interface: "13.56")
    #expect(
        String(decoding: json.payload(for: insert, uptime: uptime, eventID: 42), as: UTF8.self)
            == #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"DA1275B0","Move":"Insert","Uptime":"3:1.500","EventId":42}"#)
    let scrdr = ReaderEventFormatter(interface: "13.56", outputFormat: .scrdr)
    #expect(scrdr.payload(for: insert, uptime: uptime, eventID: 42) == scrdr.payload(for: insert, uptime: uptime))
}

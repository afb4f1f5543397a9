import Foundation
import Testing

@testable import SpringCore

// The vendor's pages: docs.springcard.com/books/SpringCore/Host_Protocols/Smart_Reader_Protocols/
// $SCRDR_Messages/$SCCMD_Message and .../JSON_Messages/READER_COMMAND_Message.

private func command(_ text: String) throws -> ReaderCommand {
    try HostCommand.parse(Array(text.utf8)).validated()
}

private func refusal(_ text: String) -> ReaderCommandError? {
    do {
        _ = try command(text)
        return nil
    } catch let error as ReaderCommandError {
        return error
    } catch {
        return nil
    }
}

@Test("$SCCMD: the vendor's examples mean what the page says")
func sccmdVendorExamples() throws {
    #expect(try command("$SCCMD;LEDS=92929292;BUZZ=0064\r\n") == ReaderCommand(leds: [0x92, 0x92, 0x92, 0x92], buzzerMilliseconds: 100))
    #expect(try command("$SCCMD;SEQ=60") == ReaderCommand(sequence: 0x60))
    #expect(try command("$SCCMD;SEQ=61") == ReaderCommand(sequence: 0x61))
}

@Test("$SCCMD: every tuple is optional, so a bare $SCCMD is a valid command that does nothing")
func bareSCCMD() throws {
    #expect(try command("$SCCMD").isEmpty)
    #expect(try command("$SCCMD;").isEmpty)
}

@Test(
    "$SCCMD: values have the documented hexadecimal widths",
    arguments: [
        "$SCCMD;SEQ=6", "$SCCMD;SEQ=600", "$SCCMD;SEQ=G0", "$SCCMD;LEDS=929292", "$SCCMD;LEDS=9292929292", "$SCCMD;LEDS=9292929Z",
        "$SCCMD;BUZZ=64", "$SCCMD;BUZZ=10000", "$SCCMD;BUZZ=-064",
    ])
func sccmdWidths(text: String) {
    guard case .badValue? = refusal(text) else {
        Issue.record("\(text) was not refused for its value")
        return
    }
}

@Test("$SCCMD: unknown and repeated fields are refused")
func sccmdUnknownFields() {
    #expect(refusal("$SCCMD;RELAY=01") == .unknownField("RELAY"))
    #expect(refusal("$SCCMD;seq=60") == .unknownField("seq"))
    #expect(refusal("$SCCMD;BUZZ=0064;BUZZ=0010") == .repeatedField("BUZZ"))
}

@Test("a sequence with LEDs or the buzzer is refused, as READER COMMAND forbids")
func sequenceWithDirectControl() {
    #expect(refusal(#"{"Sequence":96,"Leds":"92929292"}"#) == .sequenceWithDirectControl("LEDs"))
    #expect(refusal(#"{"Sequence":96,"Buzzer":100}"#) == .sequenceWithDirectControl("the buzzer"))
    #expect(refusal(#"{"Sequence":96,"RgbColor":255}"#) == .sequenceWithDirectControl("RgbColor"))
    #expect(refusal(#"{"Sequence":96,"RgbMode":1}"#) == .sequenceWithDirectControl("RgbMode"))
    #expect(refusal("$SCCMD;SEQ=60;BUZZ=0064") == .sequenceWithDirectControl("the buzzer"))
    #expect(refusal(#"{"Sequence":96,"Relay":true}"#) == nil)
}

@Test("READER COMMAND: Sequence and Buzzer take a decimal integer or a hexadecimal string")
func jsonNumbers() throws {
    #expect(try command(#"{"Sequence":96}"#) == ReaderCommand(sequence: 0x60))
    #expect(try command(#"{"Sequence":"60"}"#) == ReaderCommand(sequence: 0x60))
    #expect(try command(#"{"Buzzer":100}"#) == ReaderCommand(buzzerMilliseconds: 100))
    #expect(try command(#"{"Buzzer":"0064"}"#) == ReaderCommand(buzzerMilliseconds: 100))
    #expect(try command(#"{"Buzzer":65535}"#) == ReaderCommand(buzzerMilliseconds: 65535))
    #expect(try command(#"{"RgbColor":"FF8000","RgbMode":2}"#) == ReaderCommand(rgbColor: 0xFF8000, rgbMode: 2))
    for refused in [
        #"{"Sequence":256}"#, #"{"Sequence":"100"}"#, #"{"Sequence":-1}"#, #"{"Sequence":1.5}"#, #"{"Sequence":true}"#,
        #"{"Buzzer":65536}"#, #"{"Buzzer":"10000"}"#, #"{"Buzzer":1e300}"#, #"{"RgbColor":16777216}"#, #"{"RgbMode":"100"}"#,
    ] {
        guard case .badValue? = refusal(refused) else {
            Issue.record("\(refused) was not refused for its value")
            continue
        }
    }
}

@Test("READER COMMAND: Leds is a string of 4 bytes in hexadecimal")
func jsonLeds() throws {
    #expect(try command(#"{"Leds":"01020304"}"#) == ReaderCommand(leds: [1, 2, 3, 4]))
    #expect(refusal(#"{"Leds":16909060}"#) != nil)
    #expect(refusal(#"{"Leds":"010203"}"#) != nil)
}

@Test("READER COMMAND: Relay and Relays by JSON type; unknown fields refused; an empty object does nothing")
func jsonRelays() throws {
    #expect(try command(#"{"Relay":true}"#) == ReaderCommand(relays: [.set(on: true)]))
    #expect(try command(#"{"Relay":false}"#) == ReaderCommand(relays: [.set(on: false)]))
    #expect(try command(#"{"Relay":3000}"#) == ReaderCommand(relays: [.pulse(milliseconds: 3000)]))
    #expect(try command(#"{"Relay":"0BB8"}"#) == ReaderCommand(relays: [.pulse(milliseconds: 3000)]))
    #expect(try command(#"{"Relay":0}"#) == ReaderCommand(relays: [.set(on: false)]))
    #expect(
        try command(#"{"Relays":[true,false,500]}"#)
            == ReaderCommand(relays: [.set(on: true), .set(on: false), .pulse(milliseconds: 500)]))
    #expect(refusal(#"{"Relays":[]}"#) != nil)
    #expect(refusal(#"{"Relays":[null]}"#) != nil)
    #expect(refusal(#"{"Relay":"on"}"#) != nil)
    #expect(refusal(#"{"Beep":100}"#) == .unknownField("Beep"))
    #expect(refusal(#"{"SEQ":60}"#) == .unknownField("SEQ"))
    #expect(try command("{}").isEmpty)
}

@Test("a validated command is handed on in the READER COMMAND form, whichever form it came in")
func readerCommandJSON() throws {
    #expect(try command("$SCCMD;LEDS=92929292;BUZZ=0064").json == #"{"Leds":"92929292","Buzzer":100}"#)
    #expect(try command(#"{"Sequence":96,"Relays":[true,3000]}"#).json == #"{"Sequence":"60","Relays":[true,3000]}"#)
}

@Test("the indicator state keeps the last LEDs, sequence, beep and relays, and counts refusals")
func indicatorState() throws {
    let start = Date(timeIntervalSince1970: 1_000_000)
    var indicators = ReaderIndicators()
    indicators.apply(try command("$SCCMD;LEDS=92929292;BUZZ=0064"), at: start)
    indicators.apply(try command(#"{"Sequence":"61","Relays":[false,2000]}"#), at: start)
    indicators.refuse(because: "unknown field", at: start)
    #expect(indicators.leds == "92929292")
    #expect(indicators.lastSequence == "61")
    #expect(indicators.lastBuzzerMilliseconds == 100)
    #expect(indicators.relays == [.init(on: false), .init(on: true, until: start.addingTimeInterval(2))])
    #expect(indicators.relays[1].isOn(at: start.addingTimeInterval(1)))
    #expect(!indicators.relays[1].isOn(at: start.addingTimeInterval(3)))
    #expect(indicators.commandsApplied == 2 && indicators.commandsRefused == 1)
    #expect(indicators.summary(at: start).contains("relay 2 on"))
    #expect(indicators.summary(at: start.addingTimeInterval(3)).contains("relay 2 off"))
}

import Foundation
import Testing

@testable import SpringCore

// A SpringPark's relays: the READER COMMAND page (docs.springcard.com, SpringCore > Host Protocols >
// Smart Reader Protocols > JSON Messages) says "Relays" is for "devices with one or more relays" and
// gives no count; the emulator caps it at ReaderCommand.relayLimit (docs/configuration.md, "Registers beyond the reference").

private func refusal(_ text: String) -> ReaderCommandError? {
    do {
        _ = try HostCommand.parse(Array(text.utf8)).validated()
        return nil
    } catch let error as ReaderCommandError {
        return error
    } catch {
        return nil
    }
}

@Test("Relays beyond the emulated reader's 4 relays is refused whole, naming the field and the count")
func relaysBeyondTheReader() throws {
    let huge = "{\"Relays\":[" + Array(repeating: "1", count: 150_000).joined(separator: ",") + "]}"
    let error = try #require(refusal(huge))
    #expect(error == .tooManyRelays(field: "Relays", count: 150_000))
    #expect(error.description.contains("Relays has 150000 values") && error.description.contains("at most 4 relays"), "\(error)")
    #expect(refusal(#"{"Relays":[true,false,500,true,true]}"#) == .tooManyRelays(field: "Relays", count: 5))
    #expect(refusal(#"{"Relays":[true,false,500,true]}"#) == nil)
}

@Test("a field name or value in a refusal is quoted and bounded, however long the command")
func refusalsAreBounded() throws {
    let name = String(repeating: "R", count: 100_000)
    let unknown = try #require(refusal("{\"\(name)\":1}"))
    #expect(unknown.description.utf8.count < 300, "\(unknown.description.utf8.count) bytes")
    let value = try #require(refusal("{\"Leds\":\"\(String(repeating: "9", count: 100_000))\"}"))
    #expect(value.description.utf8.count < 300, "\(value.description.utf8.count) bytes")
}

@Test("refusals show the value as JSON would: an integer without a fraction, an empty array as empty")
func refusalWording() throws {
    #expect(
        refusal(#"{"Buzzer":-1}"#)?.description.hasPrefix("Buzzer=-1 is not a decimal integer") == true,
        "\(String(describing: refusal(#"{"Buzzer":-1}"#)))")
    #expect(refusal(#"{"Relays":[]}"#) == .noRelays(field: "Relays"))
    #expect(refusal(#"{"Relays":true}"#)?.description.hasPrefix("Relays=true is not an array") == true)
}

@Test("a timed relay is off after its time in the state itself: JSON, text and the next expiry agree")
func timedRelaySettles() throws {
    let start = Date(timeIntervalSince1970: 1_000_000)
    var indicators = ReaderIndicators()
    indicators.apply(try HostCommand.parse(Array(#"{"Relays":[true,false,500]}"#.utf8)).validated(), at: start)
    #expect(indicators.nextRelayExpiry(after: start) == start.addingTimeInterval(0.5))
    let later = start.addingTimeInterval(0.6)
    let settled = indicators.settled(at: later)
    #expect(settled.relays == [.init(on: true), .init(on: false), .init(on: false)])
    #expect(settled.nextRelayExpiry(after: later) == nil)
    let json = String(decoding: try JSONEncoder().encode(settled), as: UTF8.self)
    #expect(!json.contains("Until"), "\(json)")
    #expect(settled.summary(at: later).contains("relay 1 on, relay 2 off, relay 3 off"))
}

@Test("the normalised command and the indicator state write codes in hexadecimal and durations in decimal milliseconds")
func normalisedNotation() throws {
    let command = try HostCommand.parse(Array(#"{"RgbColor":16744448,"RgbMode":2,"Buzzer":"0064","Relays":[1500]}"#.utf8)).validated()
    #expect(command.json == #"{"RgbColor":"FF8000","RgbMode":"02","Buzzer":100,"Relays":[1500]}"#)
    var indicators = ReaderIndicators()
    indicators.apply(command, at: Date(timeIntervalSince1970: 0))
    #expect(indicators.rgbColor == "FF8000" && indicators.rgbMode == "02")
}

@Test("a JSON command with a duplicate key is refused naming the key")
func duplicateKeyNamed() {
    do {
        _ = try HostCommand.parse(Array(#"{"Buzzer":100,"Buzzer":200}"#.utf8))
        Issue.record("accepted")
    } catch {
        #expect(error.description.contains(#"duplicate key "Buzzer""#), "\(error)")
    }
}

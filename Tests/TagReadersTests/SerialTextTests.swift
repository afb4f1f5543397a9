import Foundation
import Logging
import SpringCore
import Synchronization
import TagReaders
import TestSupport
import Testing

private func scrdrLine(_ body: String) -> String { "$\(body)*\(Hex.encode([SCRDRChecksum.compute(body: body)]))\r\n" }

@Test("serial text protocols: $SCRDR with its checksum, MK1 and its banner, hex and decimal lines, RDM6300 frames")
func serialTextDecoding() {
    var auto = SerialTextDecoder(textProtocol: .auto)
    let rdm = Array("\u{02}0F00A1B2C3".utf8) + Array(Hex.encode([0x0F ^ 0x00 ^ 0xA1 ^ 0xB2 ^ 0xC3]).utf8) + [0x03]
    let input =
        scrdrLine("SCRDR;01;01;00;D0;047DAE02C84080;IR;00;NTAG") + scrdrLine("SCRDR")
        + "$SCRDR;01;01;00;;04;I;;*00\r\n#M519/RDR\r\n+[DA1275B0]\r\n3658642864\n047dae02\nhello\n"
    let outputs = auto.feed(Array(input.utf8) + rdm)
    #expect(
        outputs == [
            .tag(
                TagEvent(
                    tagID: "047DAE02C84080", protocolName: "NFC-A", interface: "13.56", rssi: -48, move: .insertRemove, tagData: "00",
                    tagDetails: "NTAG")),
            .dropped("empty $SCRDR (link check)"),
            .dropped("$SCRDR checksum does not match: $SCRDR;01;01;00;;04;I;;*00"),
            .banner("M519/RDR"),
            .tag(TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert)),
            .tag(TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert, tagDetails: "decimal 3658642864")),
            .tag(TagEvent(tagID: "047DAE02", protocolName: "NFC-A", move: .insert)),
            .dropped("\"hello\" is neither hex nor decimal"),
            .tag(TagEvent(tagID: "0F00A1B2C3", protocolName: "EM4100", interface: "125", move: .insert)),
        ])
    var rdm6300 = SerialTextDecoder(textProtocol: .rdm6300)
    #expect(rdm6300.feed([0x02] + Array("0F00A1B2C300".utf8) + [0x03]) == [.dropped("RDM6300 checksum does not match in 0F00A1B2C300")])
    var partial = SerialTextDecoder(textProtocol: .lines)
    #expect(partial.feed(Array("0A0B".utf8)).isEmpty)
    #expect(partial.feed(Array("0C0D\r\n".utf8)) == [.tag(TagEvent(tagID: "0A0B0C0D", protocolName: "NFC-A", move: .insert))])
}

@Test("a serial text reader on a pty reads what is written, and survives an unplug and replug at the same path")
func serialTextOnPty() async throws {
    let link = temporaryDirectory("serial") + "/ttyACM9"
    var terminal = try PseudoTerminal(linkedAt: link)
    let source = LiveTagSource(driver: SerialTextReader(path: link), logger: Logger(label: "test"), maximumBackoff: .milliseconds(300))
    let seen = Mutex<[String]>([])
    let consumer = Task { for await event in source { seen.withLock { $0.append(event.tagID) } } }
    defer { consumer.cancel() }
    // The reader flushes its input when it opens the port, so a line is written until it is seen.
    try await writeUntilSeen(scrdrLine("SCRDR;01;01;00;;01020304;I;;"), to: terminal) { seen.withLock { $0.contains("01020304") } }
    // The new device appears at the path before the old one goes, so the reader cannot reopen a
    // freed pty number that another test's pty has meanwhile taken.
    let replugged = try PseudoTerminal(linkedAt: link)
    terminal.close()
    terminal = replugged
    try await writeUntilSeen("+0A0B0C0D\r\n", to: terminal) { seen.withLock { $0.contains("0A0B0C0D") } }
    let order = seen.withLock { $0 }
    #expect(Set(order.prefix { $0 == "01020304" }) == ["01020304"] && order.last == "0A0B0C0D", "\(order)")
    terminal.close()
}

private func writeUntilSeen(_ line: String, to terminal: PseudoTerminal, _ seen: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !seen() && ContinuousClock.now < deadline {
        terminal.write(Array(line.utf8))
        try await Task.sleep(for: .milliseconds(100))
    }
    #expect(seen(), "\(line) never arrived")
}

/// Polls `condition` for up to ten seconds; a test that times out records why.
func waitFor(_ condition: () -> Bool, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    if try await !poll(until: condition) { Issue.record("the condition never held", sourceLocation: sourceLocation) }
}

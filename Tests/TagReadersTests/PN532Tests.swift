import Foundation
import Logging
import Synchronization
import TagReaders
import TestSupport
import Testing

@Test("PN532 frames: the reference's layout, checksums, extended length, and the fixed frames")
func pn532FrameLayout() {
    // SAMConfiguration, normal mode: 00 00 FF 05 FB D4 14 01 14 01 02 00.
    #expect(
        PN532Frame.information(tfi: 0xD4, code: 0x14, data: [0x01, 0x14, 0x01]).bytes == [
            0x00, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x14, 0x01, 0x02, 0x00,
        ])
    let long = PN532Frame.information(tfi: 0xD5, code: 0x41, data: [UInt8](repeating: 0xAA, count: 300))
    #expect(Array(long.bytes.prefix(8)) == [0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x01, 0x2E, 0xD1])
    var decoder = PN532FrameDecoder()
    #expect(decoder.feed(long.bytes) == [.frame(long)])
    #expect(decoder.feed([0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]) == [.frame(.error)])
}

@Test("the frame decoder resynchronises after garbage, reports damage, and waits for partial frames")
func pn532FrameDecoding() {
    var decoder = PN532FrameDecoder()
    let response = PN532Frame.information(tfi: 0xD5, code: 0x03, data: [0x32, 0x01, 0x06, 0x07]).bytes
    #expect(decoder.feed([0x42, 0x13, 0x55] + PN532Frame.ackBytes + Array(response.prefix(5))) == [.frame(.ack)])
    #expect(decoder.feed(Array(response.dropFirst(5))) == [.frame(.information(tfi: 0xD5, code: 0x03, data: [0x32, 0x01, 0x06, 0x07]))])
    var damaged = response
    damaged[damaged.count - 2] ^= 0x01
    #expect(decoder.feed(damaged) == [.corrupt(reason: "data checksum does not match")])
    #expect(
        decoder.feed([0x00, 0xFF, 0x05, 0x00] + PN532Frame.nackBytes) == [
            .corrupt(reason: "length checksum does not match"), .frame(.nack),
        ])
    #expect(decoder.skippedBytes >= 3)
}

@Test("InListPassiveTarget answers become tags with a card type; FeliCa and type B too")
func pn532Targets() {
    let classic = PN532Target.parse([0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0xDA, 0x12, 0x75, 0xB0], baudRateType: 0x00)
    #expect(classic?.tagID == "DA1275B0")
    #expect(classic?.tagDetails == "MIFARE Classic 1K (ATQA 0004, SAK 08)")
    #expect(PN532Target.parse([0x00], baudRateType: 0x00) == nil)
    #expect(
        PN532Target.parse([0x01, 0x01, 0x00, 0x44, 0x00, 0x07, 0x04], baudRateType: 0x00) == nil, "a UID shorter than its length is refused"
    )
    let felica = PN532Target.parse([0x01, 0x01, 0x12, 0x01] + Array(1...8) + Array(9...16), baudRateType: 0x01)
    #expect(felica?.tagID == "0102030405060708" && felica?.protocolName == "NFC-F")
    let typeB = PN532Target.parse([0x01, 0x01, 0x50, 0xCA, 0xFE, 0xBA, 0xBE] + [UInt8](repeating: 0, count: 7), baudRateType: 0x03)
    #expect(typeB?.tagID == "CAFEBABE" && typeB?.protocolName == "NFC-B")
    #expect(PN532Target.cardTypeName(atqa: [0x03, 0x44], sak: 0x20) == "MIFARE DESFire")
}

@Test("presence: a card held in the field gives one Insert, one Remove once gone for two polls")
func presence() {
    var tracker = PresenceTracker(absenceThreshold: 2)
    let card = TagEvent(tagID: "01", protocolName: "NFC-A", move: .insert, tagData: "AA")
    #expect(tracker.update(seen: [card]).map(\.move) == [.insert])
    #expect(tracker.update(seen: [card]).isEmpty)
    #expect(tracker.update(seen: []).isEmpty, "one missed poll is noise")
    #expect(tracker.update(seen: [card]).isEmpty)
    #expect(tracker.update(seen: []).isEmpty)
    let removal = tracker.update(seen: [])
    #expect(removal.map(\.move) == [.remove] && removal.first?.tagData == "")
}

/// Collects what a live source emits.
private final class Collected: Sendable {
    let events = Mutex<[TagEvent]>([])
}

@Test("a PN532 on a pty: Insert and Remove, through garbage, a damaged response (NACKed), silence, and an unplug")
func pn532Reader() async throws {
    let directory = temporaryDirectory("pn532")
    let link = directory + "/ttyPN532"
    var emulator = try PN532Emulator(linkedAt: link)
    let reader = PN532Reader(path: link, pollInterval: .milliseconds(20))
    let source = LiveTagSource(driver: reader, logger: Logger(label: "test"), maximumBackoff: .milliseconds(400))
    let collected = Collected()
    let consumer = Task { for await event in source { collected.events.withLock { $0.append(event) } } }
    defer { consumer.cancel() }

    emulator.schedule(.garbageBeforeResponse)
    emulator.schedule(.damagedResponse)
    emulator.present(.init(uid: [0x04, 0x7D, 0xAE, 0x02, 0xC8, 0x40, 0x80]))
    try await waitFor { collected.events.withLock { $0.count } >= 1 }
    #expect(emulator.nacksSeen >= 1, "the damaged response was NACKed")
    emulator.schedule(.silence(commands: 2))
    try await Task.sleep(for: .milliseconds(300))
    emulator.present(nil)
    try await waitFor { collected.events.withLock { $0.count } >= 2 }
    let first = collected.events.withLock { $0 }
    #expect(first.map(\.move) == [.insert, .remove], "one Insert and one Remove, whatever the faults in between")
    #expect(first.first?.tagID == "047DAE02C84080" && first.first?.tagDetails == "MIFARE Ultralight/NTAG (ATQA 0044, SAK 00)")

    // Unplugged, and a new pty at the same path, as a replugged USB adapter comes back. The new
    // one is linked first, so the reader cannot reopen a freed pty number another test has taken.
    let replugged = try PN532Emulator(linkedAt: link)
    emulator.unplug()
    emulator = replugged
    emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
    try await waitFor { collected.events.withLock { $0.contains { $0.tagID == "DA1275B0" } } }
    emulator.unplug()
}

@Test("a silent PN532 is re-initialised after three failed polls; NTAG pages become TagData when asked")
func pn532Reinitialisation() async throws {
    let link = temporaryDirectory("pn532-reinit") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let reader = PN532Reader(path: link, pollInterval: .milliseconds(20), readNTAGPages: true)
    let source = LiveTagSource(driver: reader, logger: Logger(label: "test"))
    let collected = Collected()
    let consumer = Task { for await event in source { collected.events.withLock { $0.append(event) } } }
    defer { consumer.cancel() }
    try await waitFor { emulator.commandsSeen.contains(PN532Command.inListPassiveTarget) }
    emulator.schedule(.silence(commands: 9))
    try await waitFor { emulator.commandsSeen.filter { $0 == PN532Command.samConfiguration }.count >= 2 }
    emulator.present(.init(uid: [0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]))
    try await waitFor { collected.events.withLock { !$0.isEmpty } }
    #expect(collected.events.withLock { $0.first?.tagData } == "000102030405060708090A0B0C0D0E0F")
}

@Test("a PN532 that refuses every poll with its error frame is re-initialised, as a silent one is")
func pn532EveryPollRefused() async throws {
    let link = temporaryDirectory("pn532-refuses") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    emulator.schedule(.errorFrame, forCommand: PN532Command.inListPassiveTarget, times: 9)
    let source = LiveTagSource(driver: PN532Reader(path: link, pollInterval: .milliseconds(20)), logger: Logger(label: "test"))
    let consumer = Task { for await _ in source {} }
    defer { consumer.cancel() }
    try await waitFor { emulator.commandsSeen.filter { $0 == PN532Command.samConfiguration }.count >= 2 }
    #expect(emulator.pendingFaults == 0)
}

import Foundation
import Logging
import Synchronization
import TagReaders
import TestSupport
import Testing

// A PN532 as it comes out of power-on (InListPassiveTarget retries for ever, cards follow
// ISO 14443-3), read with the reader's default settings. The suites run concurrently.

/// What a live source emitted, with when.
private final class Timeline: Sendable {
    private let entries = Mutex<[(event: TagEvent, at: ContinuousClock.Instant)]>([])

    func append(_ event: TagEvent) { entries.withLock { $0.append((event, .now)) } }
    var events: [TagEvent] { entries.withLock { $0.map(\.event) } }
    var count: Int { entries.withLock { $0.count } }
    func time(of index: Int) -> ContinuousClock.Instant { entries.withLock { $0[index].at } }
    /// "Insert 047DAE02C84080 NFC-A", one a line, for readable comparisons.
    var summary: [String] { events.map { "\($0.move.rawValue) \($0.tagID) \($0.protocolName)" } }
}

/// Runs `body` against a power-on emulator read by a reader with its default settings, then
/// checks that MaxRetries was set and the PN532 was never re-initialised. `setUp` runs before
/// the reader starts.
private func withPowerOnReader(
    _ name: String, setUp: (PN532Emulator) -> Void = { _ in }, _ body: (PN532Emulator, Timeline) async throws -> Void,
    sourceLocation: SourceLocation = #_sourceLocation
) async throws {
    let link = temporaryDirectory(name) + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    setUp(emulator)
    let log = CapturedLog()
    let source = LiveTagSource(driver: PN532Reader(path: link), logger: log.logger)
    let timeline = Timeline()
    let consumer = Task { for await event in source { timeline.append(event) } }
    defer { consumer.cancel() }
    try await waitFor { emulator.commandsSeen.contains(PN532Command.inListPassiveTarget) }
    try await body(emulator, timeline)
    #expect(emulator.passiveActivationRetries != 0xFF, "MaxRetries was set", sourceLocation: sourceLocation)
    #expect(!log.contains("re-initialising"), "no re-initialisation", sourceLocation: sourceLocation)
}

@Test("power-on PN532: three type A cards presented in turn give Insert, Remove three times, in order")
func pn532ThreeCardsInTurn() async throws {
    let cards: [PN532Emulator.Card] = [
        .init(uid: [0x04, 0x7D, 0xAE, 0x02, 0xC8, 0x40, 0x80]),
        .init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08),
        .init(uid: [0x04, 0x51, 0x2C, 0x9A, 0x3B, 0x5E, 0x80], atqa: [0x03, 0x44], sak: 0x20),
    ]
    try await withPowerOnReader("pn532-three") { emulator, timeline in
        for (index, card) in cards.enumerated() {
            if index > 0 { try await Task.sleep(for: .seconds(1)) }
            emulator.present(card)
            try await Task.sleep(for: .seconds(1))
            #expect(timeline.count == 2 * index + 1, "no Remove while the card is still there")
            emulator.present(nil)
        }
        try await waitFor { timeline.count >= 6 }
        #expect(
            timeline.summary == [
                "Insert 047DAE02C84080 NFC-A", "Remove 047DAE02C84080 NFC-A", "Insert DA1275B0 NFC-A", "Remove DA1275B0 NFC-A",
                "Insert 04512C9A3B5E80 NFC-A", "Remove 04512C9A3B5E80 NFC-A",
            ])
        #expect(timeline.events.last?.tagDetails == "MIFARE DESFire (ATQA 0344, SAK 20)")
    }
}

@Test("power-on PN532: a FeliCa card and a type B card are reported with their protocols")
func pn532FeliCaAndTypeB() async throws {
    try await withPowerOnReader("pn532-felica-b") { emulator, timeline in
        emulator.present(.felica(idm: [0x01, 0x2E, 0x4C, 0x9D, 0x1A, 0x2B, 0x3C, 0x4D]))
        try await Task.sleep(for: .seconds(1))
        #expect(timeline.count == 1, "no Remove while the FeliCa card is still there")
        emulator.present(nil)
        try await waitFor { timeline.count >= 2 }
        emulator.present(.typeB(pupi: [0xCA, 0xFE, 0xBA, 0xBE]))
        try await Task.sleep(for: .seconds(1))
        #expect(timeline.count == 3, "no Remove while the type B card is still there")
        emulator.present(nil)
        try await waitFor { timeline.count >= 4 }
        #expect(
            timeline.summary == [
                "Insert 012E4C9D1A2B3C4D NFC-F", "Remove 012E4C9D1A2B3C4D NFC-F", "Insert CAFEBABE NFC-B", "Remove CAFEBABE NFC-B",
            ])
    }
}

@Test("power-on PN532: a card held for 10 s gives one Insert and one Remove")
func pn532CardHeld() async throws {
    try await withPowerOnReader("pn532-held") { emulator, timeline in
        emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
        try await Task.sleep(for: .seconds(10))
        #expect(timeline.count == 1, "no Remove while the card is still there")
        emulator.present(nil)
        try await waitFor { timeline.count >= 2 }
        #expect(timeline.summary == ["Insert DA1275B0 NFC-A", "Remove DA1275B0 NFC-A"])
    }
}

/// Three times without an answer: the command fails after its three attempts.
private let threeSilentAttempts = PN532Emulator.Fault.silence(commands: 3)

@Test("power-on PN532: a type B card held through a failed field reset stays reported, and its removal is seen")
func pn532FieldResetFails() async throws {
    try await withPowerOnReader("pn532-reset-fails") { emulator, timeline in
        emulator.present(.typeB(pupi: [0xCA, 0xFE, 0xBA, 0xBE]))
        try await waitFor { timeline.count >= 1 }
        emulator.schedule(
            threeSilentAttempts, forCommand: PN532Command.rfConfiguration, dataPrefix: [PN532Command.RFItem.field, 0x00])
        try await Task.sleep(for: .milliseconds(2500))
        #expect(emulator.pendingFaults == 0, "the field was to be switched off")
        #expect(timeline.count == 1, "no Remove while the card is still there")
        emulator.present(nil)
        try await waitFor { timeline.count >= 2 }
        #expect(timeline.summary == ["Insert CAFEBABE NFC-B", "Remove CAFEBABE NFC-B"])
    }
}

@Test("power-on PN532: an ISO 14443-4 card is found and kept through failed polls after its own, from the first cycle on")
func pn532PollFailsAfterActivation() async throws {
    let felicaPoll: [UInt8] = [0x01, 0x01]
    try await withPowerOnReader("pn532-poll-fails") { emulator in
        emulator.present(.init(uid: [0x04, 0x51, 0x2C, 0x9A, 0x3B, 0x5E, 0x80], atqa: [0x03, 0x44], sak: 0x20))
        emulator.schedule(threeSilentAttempts, forCommand: PN532Command.inListPassiveTarget, dataPrefix: felicaPoll)
    } _: { emulator, timeline in
        try await waitFor { timeline.count >= 1 }
        emulator.schedule(threeSilentAttempts, forCommand: PN532Command.inListPassiveTarget, dataPrefix: felicaPoll)
        try await Task.sleep(for: .milliseconds(2500))
        #expect(emulator.pendingFaults == 0, "the FeliCa poll was sent")
        #expect(timeline.count == 1, "no Remove while the card is still there")
        emulator.present(nil)
        try await waitFor { timeline.count >= 2 }
        #expect(timeline.summary == ["Insert 04512C9A3B5E80 NFC-A", "Remove 04512C9A3B5E80 NFC-A"])
    }
}

@Test("power-on PN532: a chip that refuses the FeliCa poll still reports a type A card")
func pn532ModulationRefused() async throws {
    try await withPowerOnReader("pn532-refused") { emulator in
        emulator.schedule(.errorFrame, forCommand: PN532Command.inListPassiveTarget, dataPrefix: [0x01, 0x01], times: 1000)
    } _: { emulator, timeline in
        emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
        try await Task.sleep(for: .seconds(1))
        #expect(emulator.pendingFaults < 1000, "the FeliCa poll was refused")
        emulator.present(nil)
        try await waitFor { timeline.count >= 2 }
        #expect(timeline.summary == ["Insert DA1275B0 NFC-A", "Remove DA1275B0 NFC-A"])
    }
}

/// Measures, does not judge: the latencies depend on the machine's load. The worst case is
/// stated in docs/readers.md ("Detection and removal latency").
@Test("power-on PN532: detection and removal latency over cards presented at random moments")
func pn532Latency() async throws {
    try await withPowerOnReader("pn532-latency") { emulator, timeline in
        var detection: [Duration] = []
        var removal: [Duration] = []
        for round in 0..<8 {
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<200)))
            emulator.present(.init(uid: [0x04, 0x11, 0x22, UInt8(round)]))
            let presented = ContinuousClock.now
            try await waitFor { timeline.count > 2 * round }
            try #require(timeline.count > 2 * round, "card \(round) was detected")
            detection.append(timeline.time(of: 2 * round) - presented)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<200)))
            emulator.present(nil)
            let taken = ContinuousClock.now
            try await waitFor { timeline.count > 2 * round + 1 }
            try #require(timeline.count > 2 * round + 1, "card \(round) was reported removed")
            removal.append(timeline.time(of: 2 * round + 1) - taken)
        }
        #expect(timeline.events.map(\.move) == Array(repeating: [TagEvent.Move.insert, .remove], count: 8).flatMap { $0 })
        print(
            "PN532 latency over 8 cards: detection max \(detection.max()!) mean \(detection.reduce(.zero, +) / 8), "
                + "removal max \(removal.max()!) mean \(removal.reduce(.zero, +) / 8)")
    }
}

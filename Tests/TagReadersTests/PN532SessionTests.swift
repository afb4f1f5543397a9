import Foundation
import TagReaders
import TestSupport
import Testing

/// The wire form of what a PN532 sends back for `code`.
private func response(to code: UInt8, _ data: [UInt8]) -> [UInt8] {
    PN532Frame.information(tfi: PN532Frame.chipToHost, code: code &+ 1, data: data).bytes
}

@Test("a command that times out is aborted with the host's ACK, and leaves no answer behind for the next")
func pn532AbortOnTimeout() async throws {
    let link = temporaryDirectory("pn532-abort") + "/ttyPN532"
    // Power-on MaxRetries: with no card, InListPassiveTarget would retry for ever.
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let outcome = try await onOwnThread {
        let session = PN532Session(port: try SerialPort(path: link, baud: 115_200), attempts: 1)
        let poll = Result { () throws(ReaderError) in
            try session.command(PN532Command.inListPassiveTarget, [0x01, 0x00], timeout: .milliseconds(200))
        }
        // A card that comes now would have completed a poll nobody aborted.
        emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
        Thread.sleep(forTimeInterval: 0.1)
        return (poll, try session.command(PN532Command.getFirmwareVersion, []))
    }
    #expect(outcome.0 == .failure(.protocolFailure(path: link, reason: "no response to 4A within 0.2 seconds")))
    #expect(emulator.abortsSeen == 1)
    #expect(outcome.1 == [0x32, 0x01, 0x06, 0x07])
    #expect(emulator.commandsSeen == [PN532Command.inListPassiveTarget, PN532Command.getFirmwareVersion])
}

@Test("a late answer waiting on the line is dropped, not taken for the next command's ACK or answer")
func pn532LateAnswerDropped() async throws {
    let link = temporaryDirectory("pn532-late") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let answer = try await onOwnThread {
        let session = PN532Session(port: try SerialPort(path: link, baud: 115_200))
        // An InListPassiveTarget answer that arrived after its command was given up.
        emulator.terminal.write(
            response(to: PN532Command.inListPassiveTarget, [0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0xDA, 0x12, 0x75, 0xB0]))
        return try session.command(PN532Command.getFirmwareVersion, [])
    }
    #expect(answer == [0x32, 0x01, 0x06, 0x07])
    #expect(emulator.commandsSeen == [PN532Command.getFirmwareVersion], "sent once: the stale frame was not taken for a missing ACK")
}

@Test("the emulated field follows ISO 14443-3: a selected card misses the next REQA, a released ISO 14443-4 card waits for a field reset")
func pn532EmulatedCardStates() async throws {
    let link = temporaryDirectory("pn532-states") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let found = try await onOwnThread { () throws(ReaderError) -> [Bool] in
        let session = PN532Session(port: try SerialPort(path: link, baud: 115_200))
        // One activation try per poll, so each answer shows what a single REQA or REQB did.
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.maxRetries, 0xFF, 0x01, 0x00])
        let poll = { (brTy: UInt8) throws(ReaderError) -> Bool in
            try session.command(PN532Command.inListPassiveTarget, [0x01, brTy] + (brTy == 0x03 ? [0x00] : [])).first == 0x01
        }
        var found: [Bool] = []
        emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
        found += [try poll(0x00), try poll(0x00), try poll(0x00), try poll(0x03)]
        emulator.present(.init(uid: [0x04, 0x51, 0x2C, 0x9A, 0x3B, 0x5E, 0x80], atqa: [0x03, 0x44], sak: 0x20))
        found.append(try poll(0x00))
        _ = try session.command(PN532Command.inRelease, [0x00])
        found += [try poll(0x00), try poll(0x00)]
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x00])
        Thread.sleep(forTimeInterval: 0.01)
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x01])
        found.append(try poll(0x00))
        emulator.present(.typeB(pupi: [0xCA, 0xFE, 0xBA, 0xBE]))
        found += [try poll(0x03), try poll(0x03)]
        return found
    }
    #expect(found == [true, false, true, false, true, false, false, true, true, false])
}

@Test(
    "the emulated PN532 sends RATS to an ISO 14443-4 type A card, which then ignores REQA until a field reset; without fAutomaticRATS it does not"
)
func pn532EmulatedAutomaticRATS() async throws {
    let link = temporaryDirectory("pn532-rats") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let answers = try await onOwnThread { () throws(ReaderError) -> [[UInt8]] in
        let session = PN532Session(port: try SerialPort(path: link, baud: 115_200))
        // One activation try per poll, so each answer shows what a single REQA did.
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.maxRetries, 0xFF, 0x01, 0x00])
        let poll = { () throws(ReaderError) -> [UInt8] in try session.command(PN532Command.inListPassiveTarget, [0x01, 0x00]) }
        let resetField = { () throws(ReaderError) in
            _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x00])
            Thread.sleep(forTimeInterval: 0.01)
            _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x01])
        }
        emulator.present(.init(uid: [0x04, 0x51, 0x2C, 0x9A, 0x3B, 0x5E, 0x80], atqa: [0x03, 0x44], sak: 0x20))
        var answers = [try poll(), try poll(), try poll()]
        try resetField()
        answers.append(try poll())
        _ = try session.command(PN532Emulator.setParameters, [0x00])
        try resetField()
        answers += [try poll(), try poll(), try poll()]
        return answers
    }
    let selected: [UInt8] = [0x01, 0x01, 0x03, 0x44, 0x20, 0x07, 0x04, 0x51, 0x2C, 0x9A, 0x3B, 0x5E, 0x80]
    let ats: [UInt8] = [0x05, 0x78, 0x80, 0x70, 0x02]
    #expect(answers == [selected + ats, [0x00], [0x00], selected + ats, selected, [0x00], selected])
}

@Test("the emulated PN532 answers an InListPassiveTarget the manual does not allow with the syntax error frame")
func pn532EmulatedMalformedPoll() async throws {
    let link = temporaryDirectory("pn532-syntax") + "/ttyPN532"
    let emulator = try PN532Emulator(linkedAt: link)
    defer { emulator.unplug() }
    let malformed: [[UInt8]] = [
        [0x01, 0x01], [0x01, 0x01, 0x00, 0xFF, 0xFF], [0x03, 0x00], [0x00, 0x00], [0x01, 0x05], [0x01, 0x03], [0x01],
    ]
    let outcomes = try await onOwnThread {
        let session = PN532Session(port: try SerialPort(path: link, baud: 115_200), attempts: 1)
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.maxRetries, 0xFF, 0x01, 0x00])
        let poll = { (data: [UInt8]) in
            Result { () throws(ReaderError) in try session.command(PN532Command.inListPassiveTarget, data, timeout: .milliseconds(200)) }
        }
        return (malformed.map(poll), poll([0x01, 0x01, 0x00, 0xFF, 0xFF, 0x01, 0x00]), poll([0x02, 0x03, 0x00]))
    }
    let refused = Result<[UInt8], ReaderError>.failure(
        .protocolFailure(path: link, reason: "the PN532 answered command 4A with its error frame"))
    #expect(outcomes.0 == Array(repeating: refused, count: malformed.count))
    #expect(outcomes.1 == .success([0x00]), "a FeliCa poll with its 5-byte payload")
    #expect(outcomes.2 == .success([0x00]), "two type B targets, AFI 00")
}

import Foundation
import SpringCore

/// A PN532 polled for ISO 14443A, FeliCa and ISO 14443B targets, with presence tracking.
public struct PN532Reader: TagSourceDriver {
    public let path: String
    public let baud: Int
    public var pollInterval: Duration
    public var readNTAGPages: Bool

    public init(path: String, baud: Int = 115_200, pollInterval: Duration = .milliseconds(100), readNTAGPages: Bool = false) {
        self.path = path
        self.baud = baud
        self.pollInterval = pollInterval
        self.readNTAGPages = readNTAGPages
    }

    /// InListPassiveTarget requests per baud rate: 106 kbps type A, 212 kbps FeliCa (polling for
    /// any system code), 106 kbps type B (any AFI).
    static let pollRequests: [(name: String, brTy: UInt8, initiator: [UInt8])] = [
        ("type A", 0x00, []), ("FeliCa", 0x01, [0x00, 0xFF, 0xFF, 0x01, 0x00]), ("type B", 0x03, [0x00]),
    ]
    /// MxRtyPassiveActivation: three activation tries per poll, so one lost answer does not hide
    /// a card, and a poll with no card answers "0 targets" after three tries instead of retrying
    /// for ever (the power-on 0xFF).
    static let passiveActivationRetries: UInt8 = 2
    /// Far longer than three activation tries: only a chip that stopped answering reaches it.
    static let pollTimeout: Duration = .milliseconds(300)
    /// ISO/IEC 14443 resets a card whose field has been off for at least 5 ms.
    static let fieldResetTime: Duration = .milliseconds(10)

    public func run(emit: (TagEvent) -> Void, running: () -> Bool, log: (String) -> Void) throws(ReaderError) {
        let session = PN532Session(port: try SerialPort(path: path, baud: baud))
        let chip = try session.initialise(passiveActivationRetries: Self.passiveActivationRetries)
        log("\(path): \(chip) ready, polling every \(pollInterval)")
        var tracker = PresenceTracker()
        var failures = 0
        // Before the first cycle too: an earlier run may have left a card selected.
        var fieldNeedsReset = true
        // Logged when it changes: a chip that refuses a modulation refuses it every cycle.
        var refused: [String] = []
        defer { for event in tracker.removeAll() { emit(event) } }
        while running() {
            let seen: [TagEvent]
            do {
                if fieldNeedsReset { try resetField(session) }
                // Until the cycle is through, a card it activated may be left selected.
                fieldNeedsReset = true
                let cycle = try poll(session)
                fieldNeedsReset = cycle.activatedTarget
                seen = cycle.tags
                failures = 0
                if cycle.refused != refused {
                    refused = cycle.refused
                    if !refused.isEmpty {
                        log("\(path): the PN532 refuses to poll for \(refused.joined(separator: ", ")); polling for the rest")
                    }
                }
            } catch .gone(let path) {
                throw .gone(path: path)
            } catch {
                failures += 1
                log("\(error)")
                // Three failed polls in a row: the chip may have reset or gone to sleep.
                if failures >= 3 {
                    log("\(path): re-initialising the PN532")
                    _ = try session.initialise(passiveActivationRetries: Self.passiveActivationRetries)
                    failures = 0
                }
                continue
            }
            for event in tracker.update(seen: seen) { emit(event) }
            Thread.sleepBlocking(pollInterval)
        }
    }

    /// One InListPassiveTarget per modulation: the tags in the field now, whether any card was
    /// activated (even one whose answer did not parse), and the modulations the chip refused
    /// with its error frame, which do not hide what the others found.
    private func poll(_ session: PN532Session) throws(ReaderError) -> (tags: [TagEvent], activatedTarget: Bool, refused: [String]) {
        var seen: [TagEvent] = []
        var activatedTarget = false
        var refused: [String] = []
        for request in Self.pollRequests {
            guard
                let answer = try session.commandUnlessRefused(
                    PN532Command.inListPassiveTarget, [0x01, request.brTy] + request.initiator, timeout: Self.pollTimeout)
            else {
                refused.append(request.name)
                continue
            }
            if let targets = answer.first, targets > 0 { activatedTarget = true }
            guard var tag = PN532Target.parse(answer, baudRateType: request.brTy) else { continue }
            if readNTAGPages, tag.tagDetails.hasPrefix("MIFARE Ultralight") {
                // READ page 4: 16 bytes of user memory.
                let data = try session.command(PN532Command.inDataExchange, [0x01, 0x30, 0x04])
                if data.first == 0x00 { tag.tagData = Hex.encode(data.dropFirst()) }
            }
            seen.append(tag)
        }
        // Nothing polled: a failed cycle, so that a chip refusing everything is re-initialised.
        guard refused.count < Self.pollRequests.count else {
            throw .protocolFailure(path: path, reason: "the PN532 refused every InListPassiveTarget with its error frame")
        }
        return (seen, activatedTarget, refused)
    }

    /// Run before a cycle when the last one activated a card or failed part-way. A card the
    /// poll activated stays selected: ISO 14443-3 ACTIVE, where the next REQA only sends it back
    /// to IDLE unanswered, or, once the PN532 has sent RATS or ATTRIB, ISO 14443-4 PROTOCOL,
    /// where it ignores REQA and REQB altogether; released with InRelease or InDeselect it gets
    /// S(DESELECT) and waits in HALT for a WUPA. Switching the field off resets every card,
    /// whatever its state, so the polls find the cards still there.
    private func resetField(_ session: PN532Session) throws(ReaderError) {
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x00])
        Thread.sleepBlocking(Self.fieldResetTime)
        _ = try session.command(PN532Command.rfConfiguration, [PN532Command.RFItem.field, 0x01])
    }
}

/// The tag an InListPassiveTarget answer describes.
public enum PN532Target {
    public static func parse(_ answer: [UInt8], baudRateType: UInt8) -> TagEvent? {
        guard answer.count >= 2, answer[0] >= 1 else { return nil }
        let target = Array(answer.dropFirst(2))
        switch baudRateType {
        case 0x00:
            // SENS_RES (2), SEL_RES, NFCID length, NFCID, then ATS if any.
            guard target.count >= 4, target.count >= 4 + Int(target[3]) else { return nil }
            let atqa = Array(target[0..<2])
            let sak = target[2]
            let uid = Array(target[4..<4 + Int(target[3])])
            let details = "\(cardTypeName(atqa: atqa, sak: sak)) (ATQA \(Hex.encode(atqa)), SAK \(Hex.encode([sak])))"
            return TagEvent(tagID: Hex.encode(uid), protocolName: "NFC-A", move: .insert, tagDetails: details)
        case 0x01:
            // POL_RES length, response code 01, IDm (8), PMm (8), [system code].
            guard target.count >= 18, target[1] == 0x01 else { return nil }
            return TagEvent(
                tagID: Hex.encode(target[2..<10]), protocolName: "NFC-F", move: .insert,
                tagDetails: "FeliCa (PMm \(Hex.encode(target[10..<18])))")
        case 0x03:
            // ATQB (12 bytes: 50, PUPI (4), application data (4), protocol info (3)), ATTRIB_RES length, ...
            guard target.count >= 12, target[0] == 0x50 else { return nil }
            return TagEvent(tagID: Hex.encode(target[1..<5]), protocolName: "NFC-B", move: .insert, tagDetails: "ISO 14443B")
        default:
            return nil
        }
    }

    /// NXP's AN10833 table of SAK (and ATQA where SAK is ambiguous).
    public static func cardTypeName(atqa: [UInt8], sak: UInt8) -> String {
        switch sak {
        case 0x00: "MIFARE Ultralight/NTAG"
        case 0x08: "MIFARE Classic 1K"
        case 0x09: "MIFARE Mini"
        case 0x18: "MIFARE Classic 4K"
        case 0x10, 0x11: "MIFARE Plus"
        case 0x20 where atqa == [0x03, 0x44]: "MIFARE DESFire"
        case 0x20: "ISO 14443-4"
        case 0x28, 0x38: "SmartMX with MIFARE Classic"
        default: "ISO 14443A"
        }
    }
}

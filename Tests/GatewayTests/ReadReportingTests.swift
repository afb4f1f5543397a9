import Gateway
import SpringCore
import TagReaders
import Testing

// Source: SpringCard's register map, springcard/springcore-xmlfiles config/springpark.xml.
// 02A0 (default 0003000200) byte 0 bit 4: 0 "The Smart Reader sends the Tag read event only",
// 1 "sends the Tag inserted event when the tag arrives, and the Tag removed event when it has leaved".
// 02A1 (default 0A1E, tenths of a second): byte 0 "Delay between 2 consecutive readings",
// byte 1 "Delay before reading the same Tag again", 255 "to force a Tag removal before repeating".

/// An Insert as a reader following presence (PN532 through `PresenceTracker`) reports it.
private let badge = {
    var insert = TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert)
    insert.removalFollows = true
    return insert
}()
private let start = ContinuousClock.now

private func reporting(_ features: String = "0003000200", _ delays: String = "0A1E") throws -> ReadReporting {
    ReadReporting(
        features: try SmartReaderFeatures(bytes: try #require(Hex.decode(features))),
        delays: try ReadDelaysRegister(bytes: try #require(Hex.decode(delays))))
}

/// A tag held from `from` to `to` seconds, with the device's reading cycle running every cycle:
/// each report with the second it was made.
private func hold(_ reporting: inout ReadReporting, from: Double = 0, to: Double) -> [(Double, ReadReport)] {
    var reports = reporting.reports(for: badge, at: start + .seconds(from)).map { (from, $0) }
    var tick = from
    let cycle = Double(reporting.readingCycle / .milliseconds(1)) / 1000
    while tick + cycle < to {
        tick += cycle
        reports += reporting.dueReports(at: start + .seconds(tick)).map { (tick, $0) }
    }
    var removal = badge
    removal.move = .remove
    reports += reporting.reports(for: removal, at: start + .seconds(to)).map { (to, $0) }
    return reports
}

@Test("factory 02A0/02A1: a card held 5 s is read at 0 s and again at 3 s, twice, and no event carries Move")
func factoryDeviceReadsHeldCard() throws {
    var reporting = try reporting()
    let reports = hold(&reporting, to: 5)
    #expect(reports.map(\.0) == [0, 3])
    #expect(reports.allSatisfy { !$0.1.includesMove })
}

@Test("02A0 byte 0 bit 4 set: the same 5 s give an Insert and a Remove, each with its Move")
func trackingGivesInsertAndRemove() throws {
    var reporting = try reporting("1003000200")
    let reports = hold(&reporting, to: 5)
    #expect(reports.map(\.1.event.move) == [.insert, .remove] && reports.allSatisfy(\.1.includesMove))
}

@Test("02A1 byte 1 = FF: a held card is reported once per stay, and again when it comes back")
func repeatAfterRemovalOnly() throws {
    var reporting = try reporting("0003000200", "0AFF")
    #expect(hold(&reporting, to: 5).map(\.0) == [0])
    #expect(hold(&reporting, from: 5.5, to: 6).map(\.0) == [5.5])
}

@Test("a card taken away and shown again within 02A1 byte 1's delay is not reported; after it, it is")
func repeatDelayAcrossRemoval() throws {
    var reporting = try reporting()
    #expect(hold(&reporting, to: 0.5).count == 1)
    #expect(hold(&reporting, from: 1, to: 1.5).isEmpty)
    #expect(hold(&reporting, from: 3.2, to: 3.5).map(\.0) == [3.2])
}

@Test(
    "a single reading (Insert,Remove, or an Insert from a source that does not follow presence) is one read event, never repeated",
    arguments: [TagEvent.Move.insertRemove, .insert])
func oneShotReads(move: TagEvent.Move) throws {
    var reporting = try reporting("0003000200", "0014")
    let read = TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: move)
    #expect(reporting.reports(for: read, at: start).count == 1)
    #expect(reporting.reports(for: read, at: start + .seconds(1)).isEmpty)
    #expect(reporting.dueReports(at: start + .seconds(10)).isEmpty, "a single reading is not a tag held in the field")
    #expect(reporting.reports(for: read, at: start + .seconds(2)).count == 1)
}

@Test("02A1 byte 1 is counted in readings: 0A14 (1 s readings, 2 s delay) repeats every 2 s; 0A15 at the 3rd reading")
func repeatFallsOnReadings() throws {
    #expect(try reporting("0003000200", "0A14").repeatPeriod == .seconds(2))
    #expect(try reporting("0003000200", "0A15").repeatPeriod == .seconds(3))
    #expect(try reporting("0003000200", "0000").repeatPeriod == .milliseconds(100))
}

@Test("a read event without Move: READER EVENT leaves the field out, $SCRDR leaves it empty")
func readEventWithoutMove() {
    let uptime = Uptime(bootCount: 3, milliseconds: 1_500)
    #expect(
        String(decoding: ReaderEventFormatter(interface: "13.56").payload(for: badge, uptime: uptime, includesMove: false), as: UTF8.self)
            == #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"DA1275B0","Uptime":"3:1.500"}"#)
    let line = String(
        decoding: ReaderEventFormatter(interface: "13.56", outputFormat: .scrdr).payload(for: badge, uptime: uptime, includesMove: false),
        as: UTF8.self)
    #expect(line.hasPrefix("$SCRDR;01;01;00;;DA1275B0;;;*"))
}

@Test("a reader following presence marks its Inserts: the tag is held until its Remove")
func presenceTrackerMarksInserts() {
    var tracker = PresenceTracker(absenceThreshold: 1)
    let card = TagEvent(tagID: "DA1275B0", protocolName: "NFC-A", move: .insert)
    #expect(tracker.update(seen: [card]).map(\.removalFollows) == [true])
    #expect(tracker.update(seen: []).map(\.move) == [.remove])
}

import Foundation
import Gateway
import HostSystem
import SpringCore
import TagReaders
import TestSupport
import Testing

@Suite("live readers, end to end")
struct LiveReaderTests {
    @Test("tags presented to an emulated PN532 on a pty reach a mosquitto_sub observer as READER EVENTs")
    func pn532ToBroker() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            // 02A0 byte 0 bit 4 set: Insert when the tag arrives, Remove when it leaves (config/springpark.xml).
            try state.editConfiguration { $0[.outputFormats] = [0x10, 0x03, 0x00, 0x02, 0x00] }
            let observer = try await fixture.watch()
            let link = fixture.directory + "/ttyPN532"
            // As the chip comes out of power-on: until the daemon sets MaxRetries, a poll with
            // no card in the field never answers.
            let emulator = try PN532Emulator(linkedAt: link)
            defer { emulator.unplug() }
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--reader", "pn532:\(link)"])
            try await observer.waitFor("META") { !$0.payloads(onTopicEndingWith: "DA1275B0/meta").isEmpty }
            emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
            try await observer.waitFor("the Insert") { !$0.payloads(onTopicEndingWith: "rdr/evt").isEmpty }
            emulator.present(nil)
            try await observer.waitFor("the Remove") { $0.payloads(onTopicEndingWith: "rdr/evt").count == 2 }
            let events = observer.payloads(onTopicEndingWith: "rdr/evt").map(maskingUptime)
            #expect(
                events == [
                    #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"DA1275B0","Move":"Insert","TagDetails":"MIFARE Classic 1K (ATQA 0004, SAK 08)","Uptime":"*"}"#,
                    #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"DA1275B0","Move":"Remove","TagDetails":"MIFARE Classic 1K (ATQA 0004, SAK 08)","Uptime":"*"}"#,
                ])
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }

    /// SpringCard's register map (springcard/springcore-xmlfiles config/springpark.xml): 02A0
    /// `0003000200`, "the Smart Reader sends the Tag read event only"; 02A1 `0A1E`, readings 1 s
    /// apart and the same tag again after 3 s. A card held 5 s: read at once and again at 3 s.
    @Test("factory device: a card held 5 s on an emulated PN532 gives two read events, without Move, and nothing at its removal")
    func pn532HeldCardFactoryDevice() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let link = fixture.directory + "/ttyPN532"
            let emulator = try PN532Emulator(linkedAt: link)
            defer { emulator.unplug() }
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--reader", "pn532:\(link)"])
            try await observer.waitFor("META") { !$0.payloads(onTopicEndingWith: "DA1275B0/meta").isEmpty }
            // Held 5 s from the moment it is presented (not from when the observer hears of it, which
            // a loaded machine delays): read within the first poll, again at 3 s, and never at 6 s.
            emulator.present(.init(uid: [0xDA, 0x12, 0x75, 0xB0], atqa: [0x00, 0x04], sak: 0x08))
            try await Task.sleep(for: .seconds(5))
            emulator.present(nil)
            try await observer.waitFor("the second reading") { $0.payloads(onTopicEndingWith: "rdr/evt").count >= 2 }
            try await Task.sleep(for: .seconds(2))
            let read =
                #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"DA1275B0","TagDetails":"MIFARE Classic 1K (ATQA 0004, SAK 08)","Uptime":"*"}"#
            #expect(observer.payloads(onTopicEndingWith: "rdr/evt").map(maskingUptime) == [read, read])
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0)
        }
    }

    @Test("record writes what a serial reader sends as a trace that parses back")
    func recordSerialReader() async throws {
        let directory = temporaryDirectory("record")
        let terminal = try PseudoTerminal(linkedAt: directory + "/ttyACM7")
        defer { terminal.close() }
        let out = directory + "/capture.jsonl"
        let log = directory + "/record.log"
        let recorder = try ChildProcess(
            executable: binary,
            arguments: [
                "record", "--reader", "serial:\(terminal.path)?protocol=lines", "--out", out, "--count", "2", "--log-level", "info",
            ],
            output: .file(log))
        // Opening the port flushes what was written before (tcflush), as a real reader's stale bytes are.
        let opened = try await poll { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("\(terminal.path): reading") }
        #expect(opened, "record never opened \(terminal.path)")
        terminal.write(Array("047DAE02C84080\r\n".utf8))
        try await Task.sleep(for: .milliseconds(100))
        terminal.write(Array("3658642864\r\n".utf8))
        let status = await recorder.waitForExit(timeout: .seconds(10))
        if status == nil { await recorder.terminate() }
        #expect(status == 0, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        let trace = try Trace.load(contentsOf: out)
        #expect(trace.entries.map(\.event.tagID) == ["047DAE02C84080", "DA1275B0"])
        #expect(trace.entries[0].offset == .zero && trace.entries[1].offset > .zero)
    }
}

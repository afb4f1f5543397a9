import Foundation
import Gateway
import MQTT
import NIOCore
import NIOPosix
import SpringCore
import TagReaders
import TestSupport
import Testing

private let group = MultiThreadedEventLoopGroup.singleton

private let trace = """
    {"t":0.0,"TagId":"047DAE02C84080","Protocol":"NFC-A","Move":"Insert","TagData":"00047DAE02C84080","TagDetails":"NTAG213"}
    {"t":0.05,"TagId":"047DAE02C84080","Protocol":"NFC-A","Move":"Remove"}
    {"t":0.1,"TagId":"0451B2A2A95C80","Protocol":"NFC-A","Move":"Insert,Remove","RSSI":-48,"TagDetails":"DESFire \\"EV2\\""}
    {"t":0.1,"TagId":"E004015012345678","Protocol":"ISO15693","Interface":"13.56/V","Move":"Insert"}
    """

@Suite("against a real mosquitto over mutual TLS")
struct EndToEndTests {
    @Test("(1)(2) a replayed trace reaches a mosquitto_sub Watch observer byte for byte, after META and STATUS")
    func replayArrivesByteExact() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let summary = try await ReplayJob.run(
                trace: try Trace.parse(Data(trace.utf8), file: "it.jsonl"), speed: 4, state: state, options: DeviceRunOptions(),
                eventLoopGroup: group, logger: quietLogger)
            #expect(summary.events == 4)
            try await observer.waitFor("STATUS offline") {
                $0.payloads(onTopicEndingWith: "/status").contains { $0.hasPrefix(#"{"State":"offline""#) }
            }

            // Factory 02A0 (0003000200, config/springpark.xml): "the Tag read event only", one
            // event per reading without Move; a Remove is not an event.
            #expect(
                observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").map(maskingUptime) == [
                    #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"TagId":"047DAE02C84080","TagData":"00047DAE02C84080","TagDetails":"NTAG213","Uptime":"*"}"#,
                    #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"RSSI":-48,"TagId":"0451B2A2A95C80","TagDetails":"DESFire \"EV2\"","Uptime":"*"}"#,
                    #"{"Interface":"13.56/V","Protocol":"ISO15693","Template":0,"TagId":"E004015012345678","Uptime":"*"}"#,
                ])
            #expect(
                observer.payloads(onTopicEndingWith: "DA1275B0/meta") == [
                    #"{"VendorName":"SpringCard","ProductName":"SpringPark","SerialNumber":"DA1275B0","Version":"1.23","Firmware":"SpringCore/E518/SpringPark","Revision":"1.23-11-g30998598","Hardware":"EAN19217","UniqueId":"00019217-0000-8000-8000-0000DA1275B0","Open":false,"PhysAddress":"0200DA1275B0","IpAddress":"127.0.0.1","Protocol":"RDR/JSON","Interfaces":"13.56"}"#
                ])
            let status = observer.payloads(onTopicEndingWith: "DA1275B0/status").map(maskingUptime)
            #expect(status == [#"{"State":"online,ready","Uptime":"*"}"#, #"{"State":"offline","Uptime":"*"}"#])
            let deviceLines = observer.lines.filter { $0.hasPrefix("springcard/springcore/DA1275B0/") }
            #expect(deviceLines.first?.hasPrefix("springcard/springcore/DA1275B0/meta ") == true, "META comes first")
            #expect(deviceLines.dropFirst().first?.contains("online,ready") == true, "then STATUS, then events")
        }
    }

    @Test("(3) STATUS repeats every status interval, and the Last Will reaches the observer when the daemon is killed with SIGKILL")
    func lastWillOnSIGKILL() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            // Register 0289 with a status interval of 1 s: STATUS must repeat while the device runs.
            try state.editConfiguration { $0[.clientOptions] = [0x53, 0x14, 0x03, 0x0A, 0x01, 0x1E] }
            let observer = try await fixture.watch()
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--broker", fixture.address.description])
            try await observer.waitFor("three STATUS online,ready, one a second") {
                $0.payloads(onTopicEndingWith: "DA1275B0/status").filter { $0.contains("online,ready") }.count >= 3
            }
            daemon.signal(SIGKILL)
            try await observer.waitFor("the Last Will") {
                $0.payloads(onTopicEndingWith: "DA1275B0/status").contains(#"{"State":"offline,dead"}"#)
            }
            #expect(
                !observer.payloads(onTopicEndingWith: "DA1275B0/status").contains { $0.hasPrefix(#"{"State":"offline","#) },
                "a killed device never says a clean offline")
        }
    }

    @Test("(3b) the daemon logs commands from rdr/cmd; SIGTERM stops it cleanly: STATUS offline, no Last Will, exit 0")
    func cleanStopOnSIGTERM() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let observer = try await fixture.watch()
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path, "--broker", fixture.address.description])
            try await observer.waitFor("META") { !$0.payloads(onTopicEndingWith: "DA1275B0/meta").isEmpty }
            // A backend command, both forms, on the device's command topic.
            let control = try fixture.identity(role: .control, cn: "control-it")
            // Direct control in $SCCMD, a sequence in JSON: the vendor forbids a sequence together with LEDs or buzzer.
            for command in ["$SCCMD;LEDS=92929292;BUZZ=0064", #"{"Sequence":"60"}"#] {
                try await runTool(
                    "mosquitto_pub",
                    fixture.tlsArguments(prefix: control, clientID: "backend") + [
                        "-t", "springcard/springcore/DA1275B0/rdr/cmd", "-m", command, "-q", "1",
                    ])
            }
            try await daemon.waitFor("the commands in the daemon's log") { subscriber in
                subscriber.lines.filter { $0.contains("command applied: ") }.count == 2
                    && !subscriber.lines.contains { $0.contains("refusing command") }
            }
            daemon.signal(SIGTERM)
            #expect(try await daemon.waitForExit() == 0, "the daemon exits 0 after a clean stop:\n\(daemon.lines.joined(separator: "\n"))")
            try await observer.waitFor("STATUS offline") {
                $0.payloads(onTopicEndingWith: "DA1275B0/status").contains { $0.hasPrefix(#"{"State":"offline","#) }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(!observer.payloads(onTopicEndingWith: "DA1275B0/status").contains(#"{"State":"offline,dead"}"#))
        }
    }
}

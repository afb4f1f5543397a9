import Foundation
import Gateway
import SpringCore
import TagReaders
import TestSupport
import Testing

/// The end-to-end checks against brokers nobody here wrote, each started once for all of its
/// checks (RabbitMQ takes about 10 s to boot). The devices run on `auto`, with no
/// --mqtt-version: both brokers speak MQTT 3.1.1 only, and the device must find that out by
/// itself. mosquitto's own checks are the rest of this target.
@Suite("the broker matrix: RabbitMQ and amqtt, devices on auto (no --mqtt-version)")
struct BrokerMatrixTests {
    @Test(
        "RabbitMQ 3.10's MQTT plugin (closes the connection on an MQTT 5 CONNECT): replay, doctor, run, broker restart, Last Will",
        .enabled(if: MatrixBrokerKind.rabbitMQ.isInstalled || MatrixBrokerKind.mustRun, "rabbitmq-server is not installed"))
    func rabbitMQ() async throws {
        try await checkEverything(on: .rabbitMQ)
    }

    @Test(
        "amqtt from PyPI (says nothing to an MQTT 5 CONNECT until the connect timeout): replay, doctor, run, broker restart, Last Will",
        .enabled(if: MatrixBrokerKind.amqtt.isInstalled || MatrixBrokerKind.mustRun, "amqtt is not installed"))
    func amqtt() async throws {
        try await checkEverything(on: .amqtt)
    }

    private func checkEverything(on kind: MatrixBrokerKind) async throws {
        try await MatrixFixture.with(kind) { fixture in
            let started = ContinuousClock.now
            let name = fixture.broker.name
            let state = try await fixture.provision(serial: "DA1275B0")
            // Register 0289: connect timeout 2 s (what a silent broker costs), reconnect interval 1 s.
            try state.editConfiguration { $0[.clientOptions] = [0x53, 0x02, 0x03, 0x0A, 0x1E, 0x01] }
            let count = 80
            let trace = fixture.directory + "/eighty.jsonl"
            let tags = (0..<count).map { String(format: "04%012X", $0) }
            let lines = tags.enumerated().map { index, tag in
                Trace.line(for: TagEvent(tagID: tag, protocolName: "NFC-A", move: .insert), at: .milliseconds(10 * index))
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: trace, atomically: true, encoding: .utf8)

            // replay: every event, in order, after META and STATUS.
            let observer = try await fixture.watch()
            let replay = try await runTool(binary, ["replay", "--state-dir", state.path, "--fast", trace])
            #expect(replay.status == 0, "\(name): \(replay.output)")
            #expect(
                replay.output.contains("it does not speak MQTT 5.0"), "\(name) speaks MQTT 3.1.1 only; the device falls back and says so")
            try await observer.waitFor("\(count) events") { $0.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").count >= count }
            #expect(observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").compactMap(tagID) == tags, "\(name): every event, in order")
            let deviceLines = observer.lines.filter { $0.hasPrefix("springcard/springcore/DA1275B0/") }
            #expect(deviceLines.first?.hasPrefix("springcard/springcore/DA1275B0/meta ") == true, "\(name): META first")
            #expect(deviceLines.dropFirst().first?.contains("online,ready") == true, "\(name): then STATUS, then events")

            // doctor: names the version as the cause, and skips the ACL check MQTT 3.1.1 cannot make.
            let doctor = try await runTool(binary, ["doctor", "--state-dir", state.path])
            #expect(doctor.output.contains("broker accepts the device (CONNACK): MQTT 3.1.1"), "\(name): \(doctor.output)")
            #expect(doctor.output.contains("the broker does not speak MQTT 5.0"), "\(name): \(doctor.output)")
            #expect(doctor.output.contains("emulator.mqtt-version 3.1.1"), "\(name): the fix names the setting")
            #expect(doctor.output.contains("skip  ACL"), "\(name): \(doctor.output)")
            if kind == .rabbitMQ {
                // Pinned to 5, the doctor cannot fall back: its fix says the version may be the cause.
                let pinned = try await runTool(binary, ["doctor", "--state-dir", state.path, "--mqtt-version", "5"])
                #expect(pinned.status == 1 && pinned.output.contains("MQTT 5 is pinned"), "\(name): \(pinned.output)")
            }

            // run: every event; the broker restarted; the Last Will.
            let daemon = try fixture.spawn(
                binary, ["run", "--state-dir", state.path, "--log-level", "info", "--reader", "trace:\(trace)?speed=1"])
            try await observer.waitFor("\(count) more events", timeout: .seconds(30)) {
                $0.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").count >= 2 * count
            }
            #expect(
                observer.payloads(onTopicEndingWith: "DA1275B0/rdr/evt").compactMap(tagID).dropFirst(count).elementsEqual(tags),
                "\(name): every event of the run, in order")
            // Its reconnection would fight the next observer for the client ID watch-it.
            await observer.stop()
            await fixture.broker.stop()
            try await daemon.waitFor("the daemon to notice") { $0.lines.contains { $0.contains("MQTT connection lost") } }
            try await fixture.broker.startAgain()
            let afterRestart = try await fixture.watch()
            try await daemon.waitFor("the reconnection", timeout: .seconds(30)) {
                $0.lines.filter { $0.contains("connected (MQTT 3.1.1") }.count >= 2
            }
            #expect(
                daemon.lines.filter { $0.contains("it does not speak MQTT 5.0") }.count == 1,
                "\(name): learnt once, kept for the reconnection:\n\(daemon.lines.joined(separator: "\n"))")
            // The daemon may have announced itself before this observer subscribed: the Will tells
            // that the new connection is the one the broker holds.
            daemon.signal(SIGKILL)
            try await afterRestart.waitFor("the Last Will") {
                $0.payloads(onTopicEndingWith: "DA1275B0/status").contains(#"{"State":"offline,dead"}"#)
            }
            print("broker matrix: \(kind) took \(ContinuousClock.now - started)")
        }
    }
}

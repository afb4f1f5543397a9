import Foundation
import HostSystem
import MQTT
import NIOCore
import TestSupport
import Testing

@Suite("MQTT 5 limits and server DISCONNECT, against mosquitto")
struct BrokerLimitsTests {
    @Test("the broker's Maximum Packet Size is honoured: a larger PUBLISH fails here with a clear error, the link stays up")
    func brokerMaximumPacketSize() async throws {
        try await BrokerFixture.with(brokerSettings: ["max_packet_size 2048"]) { fixture in
            let observer = try await fixture.watch("limits/#")
            let sender = try client(fixture, cn: "control-it")
            _ = try await sender.start()
            let big = ByteBuffer(repeating: UInt8(ascii: "x"), count: 4000)
            await #expect {
                try await sender.publish(topic: "limits/big", payload: big, qos: .atLeastOnce)
            } throws: { error in
                "\(error)".contains("exceeds the maximum packet size of 2048 bytes")
            }
            let small = try await sender.publish(topic: "limits/small", payload: ByteBuffer(string: "fits"), qos: .atLeastOnce)
            #expect(small.reasonCode == .success, "the connection survived the refused packet")
            try await observer.waitFor("the small message") { $0.lines.contains("limits/small fits") }
            #expect(!observer.lines.contains { $0.hasPrefix("limits/big") })
            await sender.disconnect()
        }
    }

    /// mosquitto 2.0.11 answers a PUBLISH over `message_size_limit` with PUBACK 0x95, a code
    /// MQTT 5 lists for CONNACK and DISCONNECT but not for PUBACK. Taken for a malformed packet,
    /// it dropped the connection and sent the message again on every reconnection.
    @Test("mosquitto's message_size_limit answers PUBACK 0x95: the publish is refused, the link stays up, nothing is sent again")
    func messageSizeLimitRefusal() async throws {
        try await BrokerFixture.with(brokerSettings: ["message_size_limit 300"]) { fixture in
            let observer = try await fixture.watch("limits/#")
            let sender = try client(fixture, cn: "control-it")
            _ = try await sender.start()
            var events = sender.connectionEvents.makeAsyncIterator()
            _ = await events.next()
            let big = try await withDeadline(.seconds(10)) {
                try await sender.publish(topic: "limits/big", payload: ByteBuffer(repeating: 0x78, count: 400), qos: .atLeastOnce)
            }
            #expect(big?.reasonCode == .packetTooLarge && big?.reasonCode.isFailure == true, "answered: \(String(describing: big))")
            let small = try await withDeadline(.seconds(10)) {
                try await sender.publish(topic: "limits/small", payload: ByteBuffer(string: "fits"), qos: .atLeastOnce)
            }
            #expect(small?.reasonCode == .success)
            try await observer.waitFor("the small message") { $0.lines.contains("limits/small fits") }
            #expect(await sender.isConnected, "one connection throughout")
            await sender.disconnect()
            var later: [MQTTConnectionEvent] = []
            while let event = await events.next() { later.append(event) }
            #expect(later.allSatisfy { if case .connected = $0 { false } else { true } }, "no reconnection: \(later)")
        }
    }

    @Test("our Maximum Packet Size is honoured by mosquitto: a PUBLISH larger than we announced is not sent to us")
    func clientMaximumPacketSize() async throws {
        try await BrokerFixture.with { fixture in
            let receiver = try client(fixture, cn: "control-it", maximumPacketSize: 1024)
            _ = try await receiver.start()
            _ = try await receiver.subscribe([MQTTSubscription(topicFilter: "limits/#", qos: .atLeastOnce)])
            let sender = try fixture.identity(role: .control, cn: "control-it")
            for (topic, message) in [("limits/big", String(repeating: "x", count: 4000)), ("limits/small", "fits")] {
                let result = try await runTool(
                    "mosquitto_pub", fixture.tlsArguments(prefix: sender, clientID: "sender") + ["-t", topic, "-m", message, "-q", "1"])
                #expect(result.status == 0, "\(result.output)")
            }
            var first: MQTTInboundMessage?
            for await message in receiver.inboundMessages {
                first = message
                break
            }
            #expect(first?.topic == "limits/small", "mosquitto dropped the 4000-byte message for us")
            #expect(await receiver.isConnected)
            await receiver.disconnect()
        }
    }

    /// mosquitto 2.0.11 queues DISCONNECT 0x8E for the old connection and closes it at once, so
    /// the packet never leaves (mosquitto_sub -d sees no DISCONNECT either); the reason codes
    /// themselves are tested against a scripted broker in MQTTTests.
    @Test("a session taken over by a second client with our ID: the loss is reported and the client reconnects by itself")
    func sessionTakenOver() async throws {
        try await BrokerFixture.with { fixture in
            let first = try client(fixture, cn: "control-it")
            _ = try await first.start()
            var events = first.connectionEvents.makeAsyncIterator()
            guard case .connected? = await events.next() else {
                Issue.record("no connected event")
                return
            }
            let intruder = try fixture.identity(role: .control, cn: "control-it")
            _ = try await runTool(
                "mosquitto_pub",
                fixture.tlsArguments(prefix: intruder, clientID: "control-it") + ["-V", "mqttv5", "-t", "limits/x", "-m", "hello"])
            guard case .disconnected(let error)? = await events.next() else {
                Issue.record("the takeover went unnoticed")
                return
            }
            #expect("\(error)".contains("the broker closed the connection") || "\(error)".contains("session taken over"), "\(error)")
            guard case .connected? = await events.next() else {
                Issue.record("the client did not reconnect")
                return
            }
            await first.disconnect()
        }
    }
}

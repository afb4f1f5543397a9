import Gateway
import Spool
import SpringCore
import Testing

/// What becomes of events handed to the MQTT client but not acknowledged when a boot of the
/// device ends: they go back to the head of the outbox, in order, for the next boot.
@Suite("give-back, without a broker")
struct GiveBackTests {
    private static func device(_ state: DeviceStateDirectory, _ broker: TestingBroker, _ outbox: Outbox) throws -> SmartReaderDevice {
        try SmartReaderDevice(
            settings: DeviceSettings(state: state, brokerOverride: nil), state: state, options: BrokerlessDevice.options(broker),
            outbox: outbox, eventLoopGroup: broker.loop, logger: BrokerlessDevice.quiet)
    }

    /// The TagIds of the next events the outbox hands out.
    private static func nextTags(_ outbox: Outbox) -> [String] {
        outbox.takeBatch(limit: 100).map { event in
            let json = String(decoding: event.payload, as: UTF8.self)
            guard case .object(let fields)? = try? JSONParser.parse(event.payload) else { return "not JSON: \(json)" }
            return fields["TagId"]?.stringValue ?? json
        }
    }

    @Test("a boot that ends connected gives back what the broker left unanswered, in order, ahead of later events")
    func unansweredGoBackInOrder() async throws {
        let state = try BrokerlessDevice.provision()
        try await TestingBroker.with { broker in
            let outbox = Outbox(logger: BrokerlessDevice.quiet)
            let device = try Self.device(state, broker, outbox)
            broker.withholdAcknowledgement { publish in ["04E2", "04E4"].contains { String(buffer: publish.payload).contains($0) } }
            try await device.start(retryUntilConnected: true)
            for id in ["04E1", "04E2", "04E3", "04E4"] { await device.accept(BrokerlessDevice.tag(id)) }
            try await broker.waitFor("four events on the wire") { $0.first?.eventTags.count == 4 }

            async let stopped: Void = device.stop(forReboot: true)
            // The stop gives the unanswered two the response timeout, on the loop's clock, before its goodbye.
            try await broker.advance(until: "STATUS offline") { $0.first?.saidOffline == true }
            await stopped
            _ = await outbox.append(topic: "later", payload: Array(#"{"TagId":"04E5"}"#.utf8))

            #expect(Self.nextTags(outbox) == ["04E2", "04E4", "04E5"])
            #expect(outbox.depth == 3, "04E1 and 04E3 were acknowledged")
            #expect(broker.connections[0].disconnected)
        }
    }

    @Test("events in flight when the broker drops the connection are given back in order by a boot that ends before it returns")
    func inFlightAtConnectionLossGoBack() async throws {
        let state = try BrokerlessDevice.provision()
        try await TestingBroker.with { broker in
            let outbox = Outbox(logger: BrokerlessDevice.quiet)
            let device = try Self.device(state, broker, outbox)
            broker.withholdAcknowledgement { $0.topic.hasSuffix("/rdr/evt") }
            try await device.start(retryUntilConnected: true)
            for id in ["04F1", "04F2", "04F3"] { await device.accept(BrokerlessDevice.tag(id)) }
            try await broker.waitFor("three events on the wire") { $0.first?.eventTags.count == 3 }

            broker.makeUnreachable("broker.example")
            try await broker.dropConnection()
            try await BrokerlessDevice.eventually("the device to notice") { await !device.isConnected }
            #expect(Self.nextTags(outbox).isEmpty, "while the client holds them, they are not the outbox's to hand out again")
            await device.stop(forReboot: true)

            #expect(Self.nextTags(outbox) == ["04F1", "04F2", "04F3"])
            #expect(outbox.depth == 3)
            #expect(broker.connections.count == 1)
        }
    }
}

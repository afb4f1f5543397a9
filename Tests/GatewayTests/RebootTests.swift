import Gateway
import SpringCore
import Testing

/// A push that reboots the running device, with the broker played in memory: the daemon's
/// controller, device, MQTT client and outbox, and `cfg/set` taken as the daemon takes it.
@Suite("reboot, without a broker")
struct RebootTests {
    private let configurationSet = "springcard/springcore/DA1275B0/cfg/set"

    @Test("a cfg/set push reboots: events the broker left unanswered are given back and sent again in order; cfg/result applied")
    func rebootGivesBackAndResends() async throws {
        let state = try BrokerlessDevice.provision(remoteConfiguration: true)
        try await TestingBroker.with { broker in
            try await BrokerlessDevice.withController(state, broker) { controller in
                try await broker.waitFor("the first boot's subscription to cfg/set") {
                    $0.first?.subscribed.contains(configurationSet) == true
                }
                broker.withholdAcknowledgement { $0.topic.hasSuffix("/rdr/evt") }
                for id in ["04A1", "04A2", "04A3"] { await controller.accept(BrokerlessDevice.tag(id)) }
                try await broker.waitFor("three events on the wire") { $0.first?.eventTags.count == 3 }
                broker.withholdAcknowledgement { _ in false }

                let pushed = try BrokerlessDevice.file(state) { $0.setString(.configID, "rebooted") }
                try await broker.deliver(topic: configurationSet, payload: pushed)
                // Before its goodbye the device gives the three the response timeout, on the loop's clock, to be answered.
                try await broker.advance(until: "STATUS offline from the first boot") { $0.first?.saidOffline == true }
                try await broker.waitFor("the second boot, the three events again and cfg/result") {
                    $0.count == 2 && $0[1].eventTags.count == 3 && !$0[1].configurationResults.isEmpty
                }
                try await BrokerlessDevice.eventually("an empty spool") { await controller.health().spoolDepth == 0 }

                let connections = broker.connections
                #expect(connections[0].eventTags == ["04A1", "04A2", "04A3"])
                #expect(connections[0].disconnected, "a clean goodbye: DISCONNECT after STATUS offline")
                #expect(connections[1].metaConfigIDs == ["rebooted"])
                #expect(connections[1].eventTags == ["04A1", "04A2", "04A3"], "given back in order, sent again, none lost")
                #expect(connections[1].configurationResults == ["applied"])
                #expect(try state.loadCurrentFile().string(.configID) == "rebooted")
                #expect(await controller.health().bootCount == 2)
            }
        }
    }

    @Test("events read while the device reboots wait in the outbox and follow the new boot's META, after those given back")
    func eventsReadDuringRebootFollow() async throws {
        let state = try BrokerlessDevice.provision()
        try await TestingBroker.with { broker in
            try await BrokerlessDevice.withController(state, broker) { controller in
                try await broker.waitFor("the first boot's greeting") { $0.first?.metaConfigIDs.count == 1 }
                broker.withholdAcknowledgement { $0.topic.hasSuffix("/rdr/evt") }
                await controller.accept(BrokerlessDevice.tag("04B1"))
                try await broker.waitFor("an event on the wire") { $0.first?.eventTags.count == 1 }
                broker.withholdAcknowledgement { _ in false }

                let pushed = try BrokerlessDevice.file(state) { $0.setString(.configID, "second") }
                async let outcome = controller.apply(ConfigurationPush(content: pushed, source: "test"))
                try await broker.advance(until: "STATUS offline from the first boot") { $0.first?.saidOffline == true }
                await controller.accept(BrokerlessDevice.tag("04B2"))
                #expect(await outcome.result == .applied)
                try await broker.waitFor("both events after the second META") { $0.count == 2 && $0[1].eventTags.count == 2 }

                let second = broker.connections[1]
                #expect(second.eventTags == ["04B1", "04B2"])
                let topics = second.published.map(\.topic)
                let meta = try #require(topics.firstIndex { $0.hasSuffix("/meta") })
                #expect(topics.firstIndex { $0.hasSuffix("/rdr/evt") }.map { meta < $0 } == true)
            }
        }
    }
}

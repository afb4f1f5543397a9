import Gateway
import SpringCore
import Testing

/// Pushes the running device must not keep, with the broker played in memory: one judged bad,
/// and one whose broker cannot be reached, after which the last known good configuration is back.
@Suite("rollback, without a broker")
struct RollbackTests {
    @Test("a bad cfg/set push is rejected on cfg/result, and the running configuration keeps publishing on the same connection")
    func badPushIsRejected() async throws {
        let state = try BrokerlessDevice.provision(remoteConfiguration: true)
        let before = try state.loadCurrentFile()
        try await TestingBroker.with { broker in
            try await BrokerlessDevice.withController(state, broker) { controller in
                try await broker.waitFor("the subscription to cfg/set") {
                    $0.first?.subscribed.contains { $0.hasSuffix("/cfg/set") } == true
                }
                try await broker.deliver(topic: "springcard/springcore/DA1275B0/cfg/set", payload: Array(#"{"config": "#.utf8))
                try await broker.waitFor("a cfg/result") { $0.first?.configurationResults.isEmpty == false }
                await controller.accept(BrokerlessDevice.tag("04C1"))
                try await broker.waitFor("the event read after it") { $0.first?.eventTags == ["04C1"] }
                try await BrokerlessDevice.eventually("an empty spool") { await controller.health().spoolDepth == 0 }

                let connections = broker.connections
                #expect(connections.count == 1, "no reboot")
                #expect(connections[0].configurationResults == ["rejected"])
                #expect(try state.loadCurrentFile() == before)
                #expect(await controller.health().bootCount == 1)
            }
        }
    }

    @Test("a push whose broker cannot be reached is rolled back: the old configuration connects again and sends what was read meanwhile")
    func unreachableBrokerRollsBack() async throws {
        let state = try BrokerlessDevice.provision()
        try await TestingBroker.with { broker in
            broker.makeUnreachable("unreachable.example")
            try await BrokerlessDevice.withController(state, broker, rollbackAfter: .milliseconds(300)) { controller in
                try await broker.waitFor("the first boot's greeting") { $0.first?.metaConfigIDs.count == 1 }
                let push = ConfigurationPush(
                    content: Array(#"{"config": {"00.s": "unreachable", "86.s": "unreachable.example"}}"#.utf8), source: "test",
                    loadDefaults: false)
                async let outcome = controller.apply(push)
                try await broker.waitFor("STATUS offline from the first boot") { $0.first?.saidOffline == true }
                await controller.accept(BrokerlessDevice.tag("04D1"))
                let result = await outcome
                #expect(result.result == .rolledBack)
                #expect(result.reason?.contains("could not reach its broker") == true, "\(result)")
                try await broker.waitFor("the old configuration back, with the event and cfg/result") {
                    $0.count == 2 && $0[1].eventTags == ["04D1"] && !$0[1].configurationResults.isEmpty
                }
                try await BrokerlessDevice.eventually("an empty spool") { await controller.health().spoolDepth == 0 }

                let connections = broker.connections
                #expect(connections[1].metaConfigIDs == [""])
                #expect(connections[1].configurationResults == ["rolled-back"])
                #expect(try state.loadCurrentFile().string(.configID) == "")
                #expect(try state.loadCurrentFile().string(.broker) == "broker.example")
            }
        }
    }
}

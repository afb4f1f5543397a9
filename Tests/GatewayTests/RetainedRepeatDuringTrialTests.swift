import Gateway
import Testing

/// The retained `cfg/set` message comes back at every subscription, the trial's own included.
@Suite("a retained cfg/set delivered again during a trial, without a broker")
struct RetainedRepeatDuringTrialTests {
    @Test("the retained message taken last, delivered again during another push's trial, does not end that trial; a new push does")
    func retainedRepeatDoesNotSupersede() async throws {
        let state = try BrokerlessDevice.provision(remoteConfiguration: true)
        try await TestingBroker.with { broker in
            broker.makeUnreachable("unreachable.example")
            try await BrokerlessDevice.withController(state, broker, rollbackAfter: .seconds(60)) { controller in
                try await broker.waitFor("the first boot's greeting") { $0.first?.metaConfigIDs.count == 1 }
                let retained = ConfigurationPush(
                    content: Array(#"{"config": {"00.s": "retained"}}"#.utf8), source: "springcard/springcore/DA1275B0/cfg/set",
                    loadDefaults: false, brokerDelivery: .retained)
                #expect(await controller.apply(retained).result == .applied)
                // A local push whose trial waits for a broker that never answers, until it is superseded.
                let local = ConfigurationPush(
                    content: Array(#"{"config": {"00.s": "local", "86.s": "unreachable.example"}}"#.utf8), source: "local.json",
                    loadDefaults: false)
                async let outcome = controller.apply(local)
                try await broker.waitFor("STATUS offline from the retained configuration's boot") { $0.last?.saidOffline == true }
                await controller.supersedeTrial(by: retained)
                await controller.supersedeTrial(by: ConfigurationPush(content: [], source: "newer.json"))
                let result = await outcome
                #expect(result.result == .rolledBack)
                #expect(result.reason == "newer.json arrived before it reached the broker", "\(result)")
            }
        }
    }
}

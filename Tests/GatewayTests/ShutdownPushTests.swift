import Foundation
import Gateway
import SpringCore
import Testing

/// `cfg/set` pushes that arrive while the daemon shuts down: refused out loud, and a retained one
/// left for the next start rather than remembered as handled.
@Suite("cfg/set during shutdown, without a broker")
struct ShutdownPushTests {
    @Test("a retained push refused for shutdown is not remembered, so the next start applies it")
    func retainedPushRefusedForShutdownIsNotTaken() async throws {
        let state = try BrokerlessDevice.provision(remoteConfiguration: true)
        let record = state.file("cfg-set.retained.sha256")
        try await TestingBroker.with { broker in
            try await BrokerlessDevice.withController(state, broker) { controller in
                await controller.beginShutdown()
                let push = ConfigurationPush(
                    content: Array(#"{"config": {"00.s": "next-start"}}"#.utf8), source: "springcard/springcore/DA1275B0/cfg/set",
                    brokerDelivery: .retained)
                let outcome = await controller.apply(push)
                #expect(outcome.result == .rejected)
                #expect(outcome.reason == "the device is shutting down")
                #expect(!FileManager.default.fileExists(atPath: record), "taken as handled: the next start would not apply it")
            }
        }
    }

    @Test("a push heard once no one takes pushes any more is answered rejected on cfg/result, not dropped")
    func pushAfterTheSourceEndedIsRejected() async throws {
        let state = try BrokerlessDevice.provision(remoteConfiguration: true)
        try await TestingBroker.with { broker in
            let remote = RemoteConfiguration()
            let controller = try DeviceController(
                state: state, options: BrokerlessDevice.options(broker), rollbackAfter: .seconds(60), remoteConfiguration: remote,
                eventLoopGroup: broker.loop, logger: BrokerlessDevice.quiet)
            // The source's consumer ends first, as the daemon's task group ends it on SIGTERM.
            let consumer = Task { await remote.run(controller: controller) }
            consumer.cancel()
            await consumer.value
            try await controller.start()
            try await broker.waitFor("the subscription to cfg/set") { $0.first?.subscribed.contains { $0.hasSuffix("/cfg/set") } == true }
            try await broker.deliver(topic: "springcard/springcore/DA1275B0/cfg/set", payload: Array(#"{"config": {"00.s": "late"}}"#.utf8))
            try await broker.waitFor("a cfg/result") { $0.first?.configurationResults.isEmpty == false }
            #expect(broker.connections[0].configurationResults == ["rejected"])
            #expect(try state.loadCurrentFile().string(.configID) != "late")
            await controller.stop()
        }
    }
}

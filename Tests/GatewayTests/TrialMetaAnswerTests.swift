import Foundation
import Gateway
import SpringCore
import Testing

/// A pushed configuration's trial waits, once connected, for the broker's answer to the new
/// boot's META. What happens meanwhile is what happens during any trial: a shutdown leaves it
/// on disk, a newer push rolls it back; and a connection lost before the answer is a failure.
@Suite("the trial's wait for META's answer, without a broker")
struct TrialMetaAnswerTests {
    /// A push under way whose new boot is connected and waits for the answer to its META,
    /// which the broker withholds: `body` gets the push's outcome to come.
    private static func withTrialWaitingForMeta(
        _ name: String = #function,
        _ body: (DeviceStateDirectory, TestingBroker, DeviceController, Task<ConfigurationOutcome, Never>) async throws -> Void
    ) async throws {
        let state = try BrokerlessDevice.provision(name)
        try await TestingBroker.with { broker in
            broker.withholdAcknowledgement { $0.topic.hasSuffix("/meta") && String(buffer: $0.payload).contains("late") }
            try await BrokerlessDevice.withController(state, broker) { controller in
                try await broker.waitFor("the first boot's greeting") { $0.first?.metaConfigIDs.count == 1 }
                let push = Task {
                    await controller.apply(
                        ConfigurationPush(content: Array(#"{"config": {"00.s": "late"}}"#.utf8), source: "test", loadDefaults: false))
                }
                try await broker.waitFor("the pushed boot's META") { $0.count == 2 && $0[1].metaConfigIDs == ["late"] }
                try await body(state, broker, controller, push)
            }
        }
    }

    @Test("a shutdown while the trial waits: interrupted, and the trial stays on disk to resume (it was 'applied')")
    func shutdownDuringTheWait() async throws {
        try await Self.withTrialWaitingForMeta { state, broker, controller, push in
            await controller.beginShutdown()
            let result = await push.value
            #expect(result.result == .interrupted, "\(result)")
            #expect(FileManager.default.fileExists(atPath: state.file("config.trial.json")))
            // The stop gives the unanswered META the response timeout, on the loop's clock: hang up instead.
            await broker.hangUp()
        }
    }

    @Test("a newer push while the trial waits: the first is rolled back as superseded, the newer one applied")
    func newerPushDuringTheWait() async throws {
        try await Self.withTrialWaitingForMeta { state, broker, controller, push in
            async let newer = controller.apply(
                ConfigurationPush(content: Array(#"{"config": {"00.s": "newer"}}"#.utf8), source: "newer", loadDefaults: false))
            // The rollback's stop gives the unanswered META the response timeout, on the loop's clock.
            try await broker.advance(until: "the newer boot's META") { $0.last?.metaConfigIDs == ["newer"] }
            let (result, applied) = await (push.value, newer)
            #expect(result.result == .rolledBack && result.reason?.contains("newer arrived before") == true, "\(result)")
            #expect(applied.result == .applied, "\(applied)")
            #expect(try state.loadCurrentFile().string(.configID) == "newer")
        }
    }

    @Test("the connection lost before META is answered (a broker that drops a client its ACL refuses): rolled back")
    func connectionLostBeforeTheAnswer() async throws {
        try await Self.withTrialWaitingForMeta { state, broker, _, push in
            try await broker.dropConnection()
            let result = await push.value
            #expect(result.result == .rolledBack && result.reason?.contains("lost the connection before META") == true, "\(result)")
            #expect(try state.loadCurrentFile().string(.configID) == "")
        }
    }
}

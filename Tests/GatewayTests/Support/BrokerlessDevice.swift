import DeviceIdentity
import Foundation
import Gateway
import Logging
import SpringCore
import TagReaders
import TestSupport

/// A provisioned device run against a `TestingBroker`: the daemon's own objects (controller,
/// device, MQTT client and session, outbox), with only the broker played in memory.
enum BrokerlessDevice {
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// A state directory with the device's identity and configuration, `cfg/set` enabled or not.
    static func provision(_ name: String = #function, remoteConfiguration: Bool = false) throws -> DeviceStateDirectory {
        let root = temporaryDirectory(name)
        let pki = try DevelopmentPKI.create(at: root + "/pki")
        let state = DeviceStateDirectory(path: root + "/device")
        try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
            .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "broker.example", port: 18883))
        if remoteConfiguration {
            try write(state) { $0.otherSections["emulator"] = .object(["remote-config": .bool(true)]) }
        }
        return state
    }

    /// Run options that connect the device to `broker`.
    static func options(_ broker: TestingBroker) -> DeviceRunOptions {
        var options = DeviceRunOptions(retryUntilConnected: true)
        options.transport = broker.transport
        return options
    }

    /// Runs `body` with a started controller connected to `broker`, `cfg/set` applied as the
    /// daemon applies it (`RemoteConfiguration.run`), and stops it afterwards. On a failure the
    /// broker hangs up first, so that the stop waits for no answer.
    static func withController(
        _ state: DeviceStateDirectory, _ broker: TestingBroker, rollbackAfter: Duration = .seconds(60),
        _ body: (DeviceController) async throws -> Void
    ) async throws {
        let remote = RemoteConfiguration()
        let controller = try DeviceController(
            state: state, options: options(broker), rollbackAfter: rollbackAfter, remoteConfiguration: remote,
            eventLoopGroup: broker.loop, logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await remote.run(controller: controller) }
            do {
                try await controller.start()
                try await body(controller)
            } catch {
                await broker.hangUp()
                await controller.stop()
                group.cancelAll()
                throw error
            }
            await controller.stop()
            group.cancelAll()
        }
    }

    /// Waits until `condition` holds; a failure after 60 s, as `TestingBroker.waitFor`.
    static func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw BrokerlessDeviceTimeout(waitingFor: what) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The device's config.json changed by `change`, as a whole file, as a push restoring the defaults sends it.
    static func file(_ state: DeviceStateDirectory, _ change: (inout ConfigData) -> Void) throws -> [UInt8] {
        var file = try state.loadCurrentFile()
        change(&file)
        return Array(file.serialized())
    }

    /// Changes config.json, as an operator editing it would.
    static func write(_ state: DeviceStateDirectory, _ change: (inout ConfigData) -> Void) throws {
        try Data(file(state, change)).write(to: URL(fileURLWithPath: state.configurationPath))
    }

    /// A tag read once, as a reader reports it.
    static func tag(_ id: String) -> TagEvent { TagEvent(tagID: id, protocolName: "ISO14443-A", move: .insertRemove) }
}

extension TestingBroker.Connection {
    /// The TagIds of the reader events published on this connection, in order.
    var eventTags: [String] { payloads(onTopicEndingWith: "/rdr/evt").map { field("TagId", of: $0) } }

    /// The ConfigId of each META published on this connection.
    var metaConfigIDs: [String] { payloads(onTopicEndingWith: "/meta").map { field("ConfigId", of: $0) } }

    /// The Result of each cfg/result published on this connection.
    var configurationResults: [String] { payloads(onTopicEndingWith: "/cfg/result").map { field("Result", of: $0) } }

    var saidOffline: Bool { payloads(onTopicEndingWith: "/status").contains { $0.contains(#""offline""#) } }

    private func field(_ name: String, of json: String) -> String {
        guard case .object(let fields)? = try? JSONParser.parse(Array(json.utf8)) else { return "not JSON: \(json)" }
        return fields[name]?.stringValue ?? ""
    }
}

struct BrokerlessDeviceTimeout: Error, CustomStringConvertible {
    let waitingFor: String
    var description: String { "timed out waiting for \(waitingFor)" }
}

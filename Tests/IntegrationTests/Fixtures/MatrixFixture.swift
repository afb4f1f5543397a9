import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import SpringCore
import Synchronization
import TestSupport

/// A broker implementation nobody on this project wrote, run by the tests on a free loopback
/// port with mutual TLS and the development PKI's broker certificate.
protocol MatrixBroker: AnyObject, Sendable {
    var name: String { get }
    var port: Int { get }
    var log: String { get }
    /// Starts it (again, after `stop()`), on the same port with the same files.
    func startAgain() async throws
    /// Lets a certificate's CN connect: a device to its own topics, Watch and Control to all.
    func allow(commonName: String, everything: Bool) async throws
    func stop() async
}

enum MatrixBrokerKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case rabbitMQ, amqtt

    var description: String { rawValue }

    var isInstalled: Bool {
        switch self {
        case .rabbitMQ: RabbitMQBroker.isInstalled
        case .amqtt: AMQTTBroker.executable != nil
        }
    }

    /// RabbitMQ's Erlang node keeps both cores busy for seconds as it boots, and then runs
    /// schedulers on each: it takes the room of three fixtures (`FixtureSlots`).
    var slots: Int {
        switch self {
        case .rabbitMQ: 3
        case .amqtt: 1
        }
    }

    /// A developer without the broker skips its tests; CI must run them, so there they fail.
    static var mustRun: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}

/// The broker's process, replaced on a restart.
final class LockedProcess: Sendable {
    private let current = Mutex<ChildProcess?>(nil)

    func replace(with process: ChildProcess) { current.withLock { $0 = process } }
    func exitStatus() -> Int32? { current.withLock { $0 }?.exitStatus() }

    func stop() async {
        guard let process = current.withLock({ $0 }), process.exitStatus() == nil else { return }
        await process.terminate(grace: .seconds(15))
    }
}

func waitUntilListening(port: Int, timeout: Duration, exited: () -> Int32?, log: () -> String) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let status = exited() { throw FixtureError("the broker exited with status \(status):\n\(log())") }
        if (try? await runTool("bash", ["-c", "exec 3<>/dev/tcp/127.0.0.1/\(port)"]))?.status == 0 { return }
        try await Task.sleep(for: .milliseconds(200))
    }
    throw FixtureError("the broker did not listen on port \(port) within \(timeout):\n\(log())")
}

/// A development PKI and one matrix broker using it, in a fresh temporary directory; every
/// process started is stopped when the body ends, however it ends.
final class MatrixFixture: Sendable {
    let directory: String
    let pki: DevelopmentPKI
    let broker: any MatrixBroker
    private let children = Mutex<[Subscriber]>([])
    static let topicPrefix = "springcard/springcore"

    private init(directory: String, pki: DevelopmentPKI, broker: any MatrixBroker) {
        self.directory = directory
        self.pki = pki
        self.broker = broker
    }

    static func with(_ kind: MatrixBrokerKind, _ body: (MatrixFixture) async throws -> Void) async throws {
        try await FixtureSlots.shared.run(weight: kind.slots) {
            let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("sr-matrix-\(kind)-\(UUID().uuidString.prefix(8))")
            let pki = try DevelopmentPKI.create(at: directory + "/pki")
            let brokerPrefix = pki.directory + "/broker"
            try pki.issue(role: .broker, commonName: "localhost", subjectAlternativeNames: ["localhost", "127.0.0.1"]).write(
                prefix: brokerPrefix)
            let broker: any MatrixBroker =
                switch kind {
                case .rabbitMQ:
                    try await RabbitMQBroker(pki: pki, brokerPrefix: brokerPrefix, directory: directory, topicPrefix: topicPrefix)
                case .amqtt: try await AMQTTBroker(pki: pki, brokerPrefix: brokerPrefix, directory: directory)
                }
            let fixture = MatrixFixture(directory: directory, pki: pki, broker: broker)
            do {
                for (role, commonName) in [(CertificateRole.watch, "watch-it"), (.control, "control-it")] {
                    try pki.issue(role: role, commonName: commonName).write(prefix: directory + "/" + commonName)
                    try await broker.allow(commonName: commonName, everything: true)
                }
                try await body(fixture)
            } catch {
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }

    var address: BrokerAddress { BrokerAddress(host: "localhost", port: broker.port) }

    func spawn(_ tool: String, _ arguments: [String]) throws -> Subscriber {
        let output = directory + "/\((tool as NSString).lastPathComponent)-\(UUID().uuidString.prefix(8)).out"
        let child = try Subscriber(arguments: arguments, tool: tool, outputPath: output)
        children.withLock { $0.append(child) }
        return child
    }

    func provision(serial: String) async throws -> DeviceStateDirectory {
        let state = DeviceStateDirectory(path: directory + "/device-\(serial)")
        try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
            .provision(state: state, serialNumber: serial, broker: address)
        try await broker.allow(commonName: serial, everything: false)
        return state
    }

    /// mosquitto_sub (MQTT 3.1.1) as a Watch client, returned once a probe published by a
    /// Control client has come back: it prints nothing when subscribed.
    func watch() async throws -> Subscriber {
        let subscriber = try spawn(
            "/usr/bin/mosquitto_sub", clientArguments(commonName: "watch-it") + ["-t", Self.topicPrefix + "/#", "-q", "1", "-v"])
        let probe = Self.topicPrefix + "/probe"
        for _ in 0..<100 {
            _ = try await runTool("mosquitto_pub", clientArguments(commonName: "control-it") + ["-t", probe, "-m", "ready", "-q", "1"])
            if subscriber.lines.contains(where: { $0.hasPrefix(probe) }) { return subscriber }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("mosquitto_sub never received a probe: \(subscriber.lines)")
    }

    /// mosquitto_sub and mosquitto_pub options for the identity issued for `commonName`, which is also the client ID.
    private func clientArguments(commonName: String) -> [String] {
        let prefix = directory + "/" + commonName
        return [
            "-h", "localhost", "-p", String(broker.port), "--cafile", pki.rootCertificatePath, "--cert", prefix + ".crt", "--key",
            prefix + ".key", "-i", commonName,
        ]
    }

    private func stop() async {
        for child in children.withLock({ $0 }) { await child.stop() }
        await broker.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

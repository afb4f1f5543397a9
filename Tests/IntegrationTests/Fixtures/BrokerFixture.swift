import DevelopmentTools
import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import Logging
import SpringCore
import Synchronization
import TestSupport

/// The command-line tool as `swift build` leaves it, for tests that run the daemon as a process.
let binary = packageRoot + "/.build/debug/smartreader"

let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// A development PKI and a real mosquitto using it, in a fresh temporary directory. Every
/// process the fixture starts is stopped when the test body ends, however it ends.
final class BrokerFixture: Sendable {
    let directory: String
    let pki: DevelopmentPKI
    let broker: LocalMosquitto
    private let children = Mutex<[Subscriber]>([])

    var address: BrokerAddress { BrokerAddress(host: "localhost", port: broker.port) }

    private init(directory: String, pki: DevelopmentPKI, broker: LocalMosquitto) {
        self.directory = directory
        self.pki = pki
        self.broker = broker
    }

    /// `brokerIdentity` replaces the broker certificate the fixture would issue, to test refusals;
    /// `persistentBroker` keeps sessions across a broker restart; `brokerSettings` are added to
    /// mosquitto's configuration as they are; `slots` is the fixture's weight in `FixtureSlots`
    /// (more than 1 for hundreds of TLS clients).
    static func with(
        brokerIdentity: ((DevelopmentPKI, String) throws -> Void)? = nil, persistentBroker: Bool = false, brokerSettings: [String] = [],
        slots: Int = 1, name: String = #function, _ body: (BrokerFixture) async throws -> Void
    ) async throws {
        try await FixtureSlots.shared.run(weight: slots) {
            let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent(
                "sr-it-\(name.filter(\.isLetter).prefix(24))-\(UUID().uuidString.prefix(8))")
            let pki = try DevelopmentPKI.create(at: (directory as NSString).appendingPathComponent("pki"))
            try brokerIdentity?(pki, (pki.directory as NSString).appendingPathComponent("broker"))
            // The ACL lists Watch and Control names as they are when the broker starts.
            _ = try pki.issue(role: .watch, commonName: "watch-it")
            _ = try pki.issue(role: .control, commonName: "control-it")
            let persistence = (directory as NSString).appendingPathComponent("mosquitto-data")
            if persistentBroker { try FileManager.default.createDirectory(atPath: persistence, withIntermediateDirectories: true) }
            let broker = try await LocalMosquitto.start(pki: pki, workDirectory: directory) { configuration in
                configuration.persistenceDirectory = persistentBroker ? persistence : nil
                configuration.additionalSettings = brokerSettings
            }
            let fixture = BrokerFixture(directory: directory, pki: pki, broker: broker)
            do {
                try await body(fixture)
            } catch {
                fixture.showOutputs()
                await fixture.stop()
                throw error
            }
            await fixture.stop()
        }
    }

    /// Starts a process that the fixture stops at the end.
    func spawn(_ tool: String, _ arguments: [String]) throws -> Subscriber {
        let output = (directory as NSString).appendingPathComponent(
            "\((tool as NSString).lastPathComponent)-\(UUID().uuidString.prefix(8)).out")
        let child = try Subscriber(arguments: arguments, tool: tool, outputPath: output)
        children.withLock { $0.append(child) }
        return child
    }

    func provision(serial: String = "DA1275B0") throws -> DeviceStateDirectory {
        let state = DeviceStateDirectory(path: (directory as NSString).appendingPathComponent("device-\(serial)"))
        try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
            .provision(state: state, serialNumber: serial, broker: address)
        return state
    }

    func identity(role: CertificateRole, cn: String) throws -> String {
        let prefix = (directory as NSString).appendingPathComponent(cn)
        try pki.issue(role: role, commonName: cn).write(prefix: prefix)
        return prefix
    }

    /// mosquitto_sub as a Watch client: an observer nobody on this project wrote. Lines are
    /// `topic payload`; a `keepingSession` observer is an MQTT 5 persistent session (it misses
    /// nothing across a broker restart) and prints `topic|event-id:N|payload`.
    func watch(_ filter: String = "springcard/springcore/#", keepingSession: Bool = false) async throws -> Subscriber {
        let prefix = (pki.directory as NSString).appendingPathComponent("watch-it")
        try pki.issue(role: .watch, commonName: "watch-it").write(prefix: prefix)
        let format = keepingSession ? ["-V", "mqttv5", "-c", "-F", "%t|%P|%p"] : ["-v"]
        let subscriber = try spawn(
            "/usr/bin/mosquitto_sub",
            tlsArguments(prefix: prefix, clientID: "watch-it") + ["-t", filter, "-t", "probe/#", "-q", "1"] + format)
        // mosquitto_sub says nothing when subscribed: publish probes until one comes back.
        let control = try identity(role: .control, cn: "control-it")
        for attempt in 0..<100 {
            _ = try await runTool(
                "mosquitto_pub", tlsArguments(prefix: control, clientID: "probe-\(attempt)") + ["-t", "probe/\(attempt)", "-m", "ready"])
            if subscriber.lines.contains(where: { $0.hasPrefix("probe/") }) { return subscriber }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw FixtureError("mosquitto_sub never received a probe: \(subscriber.lines)")
    }

    func tlsArguments(prefix: String, clientID: String) -> [String] {
        [
            "-h", "localhost", "-p", String(broker.port), "--cafile", pki.rootCertificatePath, "--cert", prefix + ".crt", "--key",
            prefix + ".key", "-i", clientID,
        ]
    }

    /// What each process the fixture started wrote last, and the broker's log: a failed wait
    /// says what was seen, not why it never came.
    private func showOutputs() {
        for child in children.withLock({ $0 }) {
            print("--- \(child.name), last lines:\n" + child.lines.suffix(30).joined(separator: "\n"))
        }
    }

    private func stop() async {
        for child in children.withLock({ $0 }) { await child.stop() }
        await broker.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A long-running tool whose output (standard output and error) goes to a file, read back as lines.
final class Subscriber: Sendable {
    private let process: ChildProcess
    private let outputPath: String
    /// The command line, for the output shown when a test fails.
    let name: String

    init(arguments: [String], tool: String, outputPath: String) throws {
        self.outputPath = outputPath
        name = ([tool] + arguments).joined(separator: " ")
        process = try ChildProcess(executable: tool, arguments: arguments, output: .file(outputPath))
    }

    /// Complete lines written so far.
    var lines: [String] {
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        return lines
    }

    func signal(_ number: Int32) { process.signal(number) }

    func exitStatus() -> Int32? { process.exitStatus() }

    /// Lines `topic payload` on topics ending in `suffix`, payloads only.
    func payloads(onTopicEndingWith suffix: String) -> [String] {
        lines.compactMap { line in
            guard let space = line.firstIndex(of: " ") else { return nil }
            return line[..<space].hasSuffix(suffix) ? String(line[line.index(after: space)...]) : nil
        }
    }

    func waitForExit(timeout: Duration = .seconds(10)) async throws -> Int32 {
        guard let status = await process.waitForExit(timeout: timeout) else {
            throw FixtureError("the process did not exit within \(timeout); its output:\n\(lines.joined(separator: "\n"))")
        }
        return status
    }

    func waitFor(_ what: String, timeout: Duration = .seconds(15), _ condition: (Subscriber) -> Bool) async throws {
        // Every 50 ms: each look reads the whole output file again.
        guard try await poll(for: timeout, every: .milliseconds(50), until: { condition(self) }) else {
            throw FixtureError("timed out waiting for \(what); saw:\n\(lines.joined(separator: "\n"))")
        }
    }

    /// Waits until the daemon has `reader` open: what is written before is flushed away by the
    /// open (tcflush), as a real serial reader's stale bytes are, and would never be read.
    func waitUntilReading(_ reader: PseudoTerminal) async throws {
        try await waitFor("the daemon to open \(reader.path)") { $0.lines.contains { $0.contains("\(reader.path): reading") } }
    }

    func stop() async { await process.terminate() }
}

/// Replaces the Uptime value, which depends on timing, so the rest can be compared byte for byte.
func maskingUptime(_ json: String) -> String {
    json.replacing(/"Uptime":"\d+:\d+\.\d{3}"/, with: #""Uptime":"*""#)
}

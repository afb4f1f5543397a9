import DeviceIdentity
import Foundation
import Logging
import MQTT
import NIOCore
import SpringCore
import TagReaders

#if canImport(Glibc)
    import Glibc
#endif

public struct ReplayBenchmarkResult: Sendable {
    public var events: Int
    public var protocolVersion: MQTTProtocolVersion
    public var smartReaderRate: Double
    public var mosquittoPubRate: Double
    /// CPU time of this process (all its threads, not the broker's) per replayed event: steadier
    /// than the rates on a machine the broker shares.
    public var cpuMicrosecondsPerEvent: Double
    public var peakResidentKiB: Int
    public var spooled: Bool

    public var table: String {
        let ratio = mosquittoPubRate > 0 ? smartReaderRate / mosquittoPubRate : 0
        return """
            | \(events) events, QoS 1, mutual TLS, local mosquitto (smartreader MQTT \(protocolVersion), mosquitto_pub 3.1.1) | events/s |
            |---|---|
            | smartreader replay --fast (\(spooled ? "durable spool, SQLite WAL, synchronous FULL" : "in-memory outbox") + in-flight window) | \(Int(smartReaderRate)) |
            | mosquitto_pub -l -q 1 (same payloads, same PKI) | \(Int(mosquittoPubRate)) |
            | ratio smartreader / mosquitto_pub | \(String(format: "%.2f", ratio)) |
            | smartreader CPU per event (user + system, all threads) | \(String(format: "%.1f", cpuMicrosecondsPerEvent)) µs |
            | smartreader peak RSS during the replay (VmHWM; events made as read, none held in advance) | \(peakResidentKiB / 1024) MiB |
            """
    }
}

/// The benchmark of issue 2: the same payloads through our replay pipeline and through
/// `mosquitto_pub -l`, one after the other against one broker, with the same PKI.
public struct ReplayBenchmark: Sendable {
    public var events: Int
    public var workDirectory: String
    public var protocolVersion: MQTTProtocolVersion
    /// Events go through the durable spool, as in the daemon, rather than an in-memory outbox.
    public var spool: Bool

    public init(events: Int, workDirectory: String, protocolVersion: MQTTProtocolVersion = .v5, spool: Bool = false) {
        self.spool = spool
        self.events = events
        self.workDirectory = workDirectory
        self.protocolVersion = protocolVersion
    }

    public func run(eventLoopGroup: any EventLoopGroup, logger: Logger, progress: @escaping @Sendable (String) -> Void) async throws
        -> ReplayBenchmarkResult
    {
        let pki = try DevelopmentPKI.create(at: (workDirectory as NSString).appendingPathComponent("pki"))
        let broker = try await LocalMosquitto.start(pki: pki, workDirectory: workDirectory)
        do {
            let result = try await run(
                pki: pki, brokerPort: broker.port, eventLoopGroup: eventLoopGroup, logger: logger, progress: progress)
            await broker.stop()
            return result
        } catch {
            await broker.stop()
            throw error
        }
    }

    /// Against a broker already running on localhost:`brokerPort` whose certificate `pki` issued.
    public func run(
        pki: DevelopmentPKI, brokerPort: Int, eventLoopGroup: any EventLoopGroup, logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReplayBenchmarkResult {
        let address = BrokerAddress(host: "localhost", port: brokerPort)
        let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
        let state = DeviceStateDirectory(path: (workDirectory as NSString).appendingPathComponent("device"))
        try DeviceProvisioning(pki: pki, profile: profile).provision(state: state, serialNumber: "BE000001", broker: address)

        progress("replaying \(events) events through smartreader...")
        let cpuBefore = ProcessResources.cpuSeconds()
        let summary = try await ReplayJob.run(
            events: SyntheticTagEvents(count: events), count: events, state: state,
            options: DeviceRunOptions(protocolVersion: protocolVersion),
            spool: spool, eventLoopGroup: eventLoopGroup, logger: logger)
        let cpuSeconds = ProcessResources.cpuSeconds() - cpuBefore
        // Sampled before mosquitto_pub's payloads are prepared, so it is the replay's own peak.
        let peakResidentKiB = ProcessResources.residentKiB(peak: true)

        let publisherPrefix = (workDirectory as NSString).appendingPathComponent("publisher")
        try pki.issue(role: .device, commonName: "BE000002").write(prefix: publisherPrefix)
        let formatter = ReaderEventFormatter(interface: profile.constants.interfaces)
        let lines = (0..<events).map {
            formatter.message(for: SyntheticTagEvents.event($0), uptime: Uptime(bootCount: 1, milliseconds: 0)).json
        }
        let input = (workDirectory as NSString).appendingPathComponent("payloads.txt")
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        progress("publishing the same \(events) payloads with mosquitto_pub -l...")
        let pubSeconds = try await runMosquittoPub(
            port: brokerPort, ca: pki.rootCertificatePath, prefix: publisherPrefix,
            topic: DeviceTopics(prefix: "springcard/springcore", deviceID: "BE000002").readerEvent,
            input: input)
        return ReplayBenchmarkResult(
            events: events, protocolVersion: protocolVersion, smartReaderRate: summary.eventsPerSecond,
            mosquittoPubRate: Double(events) / pubSeconds,
            cpuMicrosecondsPerEvent: cpuSeconds * 1e6 / Double(events), peakResidentKiB: peakResidentKiB, spooled: spool)
    }

    private func runMosquittoPub(port: Int, ca: String, prefix: String, topic: String, input: String) async throws -> Double {
        let arguments = [
            "-h", "localhost", "-p", String(port), "--cafile", ca, "--cert", prefix + ".crt", "--key", prefix + ".key",
            "-i", "BE000002", "-t", topic, "-q", "1", "-l",
        ]
        let started = ContinuousClock.now
        // mosquitto_pub -l publishes each line of its standard input.
        let status = await (try ChildProcess(executable: "/usr/bin/mosquitto_pub", arguments: arguments, input: input)).waitForExit()
        let elapsed = ContinuousClock.now - started
        guard status == 0 else {
            throw LocalMosquittoError.exited(status: status, log: "mosquitto_pub failed")
        }
        return elapsed / .seconds(1)
    }
}

/// The benchmark's reader: `count` distinct NFC-A tags, made as they are read, so the replay's
/// memory is the pipeline's and not a trace held in advance.
struct SyntheticTagEvents: AsyncSequence, Sendable {
    typealias Element = TagEvent
    let count: Int

    static func event(_ index: Int) -> TagEvent {
        let hex = String(index, radix: 16, uppercase: true)
        return TagEvent(
            tagID: "04" + String(repeating: "0", count: Swift.max(0, 12 - hex.count)) + hex, protocolName: "NFC-A", move: .insertRemove,
            tagDetails: "NTAG213")
    }

    func makeAsyncIterator() -> Iterator { Iterator(count: count) }

    struct Iterator: AsyncIteratorProtocol {
        let count: Int
        var index = 0

        mutating func next() async -> TagEvent? {
            guard index < count else { return nil }
            defer { index += 1 }
            return SyntheticTagEvents.event(index)
        }
    }
}

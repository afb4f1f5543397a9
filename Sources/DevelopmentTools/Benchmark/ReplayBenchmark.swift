import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import Logging
import MQTT
import NIOCore
import SpringCore
import TagReaders

#if canImport(Glibc)
    import Glibc
#endif

/// One side of the comparison, over the rounds: medians, so that one disturbed round does not decide.
public struct ReplayBenchmarkSide: Sendable {
    public var rates: [Double]
    /// CPU time (user + system, all threads) of that side's process per event, each round.
    public var cpuMicrosecondsPerEvent: [Double]

    public var medianRate: Double { Self.median(rates) }
    public var medianCPU: Double { Self.median(cpuMicrosecondsPerEvent) }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

public struct ReplayBenchmarkResult: Sendable {
    public var events: Int
    public var protocolVersion: MQTTProtocolVersion
    /// How the broker was configured: mosquitto's defaults, or with `set_tcp_nodelay true`.
    public var brokerSetting: String
    public var smartReader = ReplayBenchmarkSide(rates: [], cpuMicrosecondsPerEvent: [])
    public var mosquittoPub = ReplayBenchmarkSide(rates: [], cpuMicrosecondsPerEvent: [])
    public var peakResidentKiB = 0
    public var spooled: Bool

    public var table: String {
        let (ours, theirs) = (smartReader, mosquittoPub)
        func ratio(_ a: Double, _ b: Double) -> String { b > 0 ? String(format: "%.2f", a / b) : "-" }
        func micro(_ value: Double) -> String { String(format: "%.1f µs", value) }
        return """
            | \(events) events, QoS 1, mutual TLS, local mosquitto (\(brokerSetting)); medians of \(ours.rates.count) alternating rounds | smartreader (MQTT \(protocolVersion)) | mosquitto_pub -l -q 1 (3.1.1) | ratio |
            |---|---|---|---|
            | events/s (\(spooled ? "durable spool, SQLite WAL, synchronous FULL" : "in-memory outbox")) | \(Int(ours.medianRate)) | \(Int(theirs.medianRate)) | \(ratio(ours.medianRate, theirs.medianRate)) |
            | CPU per event (user + system, all threads of the process) | \(micro(ours.medianCPU)) | \(micro(theirs.medianCPU)) | \(ratio(ours.medianCPU, theirs.medianCPU)) |
            | peak RSS of the first round (VmHWM; events made as read, none held in advance) | \(peakResidentKiB / 1024) MiB | | |
            | rounds, events/s | \(ours.rates.map { String(Int($0)) }.joined(separator: ", ")) | \(theirs.rates.map { String(Int($0)) }.joined(separator: ", ")) | |
            """
    }
}

/// The benchmark of issue 2, as issue 16 asks it to be run: the same payloads through our replay
/// pipeline and through `mosquitto_pub -l`, alternating, against one broker with the same PKI,
/// each process's CPU per event beside its rate.
public struct ReplayBenchmark: Sendable {
    public var events: Int
    public var rounds: Int
    public var workDirectory: String
    public var protocolVersion: MQTTProtocolVersion
    /// Events go through the durable spool, as in the daemon, rather than an in-memory outbox.
    public var spool: Bool

    public init(events: Int, rounds: Int = 3, workDirectory: String, protocolVersion: MQTTProtocolVersion = .v5, spool: Bool = false) {
        self.spool = spool
        self.events = events
        self.rounds = rounds
        self.workDirectory = workDirectory
        self.protocolVersion = protocolVersion
    }

    /// Against a mosquitto of its own, configured as shipped (`tcpNoDelay` false) or with `set_tcp_nodelay true`.
    public func run(
        tcpNoDelay: Bool, eventLoopGroup: any EventLoopGroup, logger: Logger, progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReplayBenchmarkResult {
        let pki = try DevelopmentPKI.create(at: (workDirectory as NSString).appendingPathComponent("pki"))
        let broker = try await LocalMosquitto.start(pki: pki, workDirectory: workDirectory) { $0.tcpNoDelay = tcpNoDelay }
        do {
            let result = try await run(
                pki: pki, brokerPort: broker.port, brokerSetting: tcpNoDelay ? "set_tcp_nodelay true" : "default configuration",
                eventLoopGroup: eventLoopGroup, logger: logger, progress: progress)
            await broker.stop()
            return result
        } catch {
            await broker.stop()
            throw error
        }
    }

    /// Against a broker already running on localhost:`brokerPort` whose certificate `pki` issued.
    public func run(
        pki: DevelopmentPKI, brokerPort: Int, brokerSetting: String = "as configured", eventLoopGroup: any EventLoopGroup, logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> ReplayBenchmarkResult {
        // Against a broker of the caller's, nothing else has made the directory for the publisher's identity.
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let address = BrokerAddress(host: "localhost", port: brokerPort)
        let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
        let publisherPrefix = (workDirectory as NSString).appendingPathComponent("publisher")
        try pki.issue(role: .device, commonName: "BE000002").write(prefix: publisherPrefix)
        let input = (workDirectory as NSString).appendingPathComponent("payloads.txt")
        try writePayloads(to: input, formatter: ReaderEventFormatter(interface: profile.constants.interfaces))

        var result = ReplayBenchmarkResult(events: events, protocolVersion: protocolVersion, brokerSetting: brokerSetting, spooled: spool)
        for round in 1...max(1, rounds) {
            let state = DeviceStateDirectory(path: (workDirectory as NSString).appendingPathComponent("device-\(round)"))
            try DeviceProvisioning(pki: pki, profile: profile).provision(
                state: state, serialNumber: String(format: "BE%06X", 0x100 + round), broker: address)
            progress("round \(round) of \(rounds) (\(brokerSetting)): replaying \(events) events through smartreader...")
            let cpuBefore = ProcessResources.cpuSeconds()
            let summary = try await ReplayJob.run(
                events: SyntheticTagEvents(count: events), count: events, state: state,
                options: DeviceRunOptions(protocolVersion: protocolVersion),
                spool: spool, eventLoopGroup: eventLoopGroup, logger: logger)
            result.smartReader.rates.append(summary.eventsPerSecond)
            result.smartReader.cpuMicrosecondsPerEvent.append((ProcessResources.cpuSeconds() - cpuBefore) * 1e6 / Double(events))
            // VmHWM never falls: after the first round it would count the process's earlier rounds too.
            if round == 1 { result.peakResidentKiB = ProcessResources.residentKiB(peak: true) }

            progress("round \(round) of \(rounds) (\(brokerSetting)): the same \(events) payloads with mosquitto_pub -l...")
            let childrenBefore = ProcessResources.cpuSeconds(children: true)
            let seconds = try await runMosquittoPub(
                port: brokerPort, ca: pki.rootCertificatePath, prefix: publisherPrefix,
                topic: DeviceTopics(prefix: "springcard/springcore", deviceID: "BE000002").readerEvent, input: input)
            result.mosquittoPub.rates.append(Double(events) / seconds)
            result.mosquittoPub.cpuMicrosecondsPerEvent.append(
                (ProcessResources.cpuSeconds(children: true) - childrenBefore) * 1e6 / Double(events))
        }
        return result
    }

    /// mosquitto_pub's input, the replay's payloads a line each, written in pieces: the peak RSS
    /// reported is the replay's, which a file made whole in memory would have hidden.
    private func writePayloads(to path: String, formatter: ReaderEventFormatter) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let file = FileHandle(forWritingAtPath: path) else {
            throw GatewayError.stateDirectory(path: path, reason: "cannot write the benchmark's payloads")
        }
        defer { try? file.close() }
        var piece: [UInt8] = []
        for index in 0..<events {
            piece += formatter.message(for: SyntheticTagEvents.event(index), uptime: Uptime(bootCount: 1, milliseconds: 0)).json.utf8
            piece.append(UInt8(ascii: "\n"))
            if piece.count >= 1 << 16 || index == events - 1 {
                try file.write(contentsOf: piece)
                piece.removeAll(keepingCapacity: true)
            }
        }
    }

    private func runMosquittoPub(port: Int, ca: String, prefix: String, topic: String, input: String) async throws -> Double {
        let arguments = [
            "-h", "localhost", "-p", String(port), "--cafile", ca, "--cert", prefix + ".crt", "--key", prefix + ".key",
            "-i", "BE000002", "-t", topic, "-q", "1", "-l",
        ]
        let started = ContinuousClock.now
        // mosquitto_pub -l publishes each line of its standard input.
        let status = await (try ChildProcess(executable: "/usr/bin/mosquitto_pub", arguments: arguments, input: input))
            .waitForExitEndingItIfCancelled()
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
            // A cancelled reader reads no more, as a trace's replay does.
            guard index < count, !Task.isCancelled else { return nil }
            defer { index += 1 }
            return SyntheticTagEvents.event(index)
        }
    }
}

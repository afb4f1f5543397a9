import ArgumentParser
import DeviceIdentity
import Foundation
import Gateway
import NIOPosix
import SpringCore
import TagReaders
import UnixSignals

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a fleet of emulated devices in one process against a broker, and measure it.",
        discussion: """
            Each device is a full emulated Smart Reader with its own key and certificate (client ID = CN = its serial \
            number), META, STATUS, Last Will and events, on one event loop group. The devices live in the fleet \
            directory (default PKI/fleet), one state directory each, made from the development PKI the first time and \
            reused after (put enrolled devices there to use your own PKI). Devices connect at --connect-rate; then \
            --rate events a second, spread over the connected devices, for --duration; then each says offline and \
            disconnects. A progress line shows connected devices, events and errors each second; the report gives \
            connects per second, TLS handshake, CONNACK and publish-to-PUBACK latencies (p50/p95/p99/max, HdrHistogram), \
            events per second, errors by kind and memory per device. SIGINT (Ctrl-C) or SIGTERM ends the run early, \
            with the devices saying offline and the report covering what ran.

            A fleet larger than one machine runs as shards: `--shard K/N` (K from 0; or SMARTREADER_SHARD=K/N, or a \
            Kubernetes Indexed Job's JOB_COMPLETION_INDEX=K with SMARTREADER_SHARDS=N) runs the K-th of N disjoint \
            slices of the --devices serial numbers, issuing only its own identities (on every core, from a PKI that may \
            be read-only, e.g. the Client CA and its key mounted as a Secret), at its share of --rate. --start-at makes \
            every shard begin its events at one moment. `smartreader report merge` makes the shards' --json reports \
            into the fleet's.
            """)

    @Option(help: "How many devices in the whole fleet (over every shard).")
    var devices: Int

    @Option(
        name: .long,
        help: "The PKI that issues the devices' certificates (`pki init`; read-only will do: root.crt, client-ca.crt and .key).")
    var pki: String?

    @Option(help: "Run the K-th of N slices of the fleet, K from 0 (default: SMARTREADER_SHARD, JOB_COMPLETION_INDEX, or all).")
    var shard: String?

    @Option(
        name: .customLong("start-at"),
        help: "Begin the events at this ISO 8601 UTC time (e.g. 2026-12-01T09:00:00Z), the same for every shard.")
    var startAt: String?

    @Option(help: "The broker, HOST:PORT; its certificate must chain to the PKI's root.")
    var broker: String

    @Option(help: "Events a second across the whole fleet.")
    var rate: Double = 0

    @Option(help: "Seconds of events after every device has connected.")
    var duration: Double = 10

    @Option(name: .customLong("connect-rate"), help: "New connections a second during the ramp-up (0: all at once).")
    var connectRate: Double = 200

    @Option(help: "Cycle through this trace's events instead of inventing a new tag for each.")
    var trace: String?

    @Option(name: .long, help: "Where the fleet's device state directories live (default: PKI/fleet).")
    var fleetDirectory: String?

    @Option(name: .long, help: "Write the report as JSON to this file (- for standard output, on one line: the log's last).")
    var json: String?

    @Option(name: .long, help: "MQTT protocol version: 5 or 3.1.1.")
    var mqttVersion: MQTTVersionArgument = .v5

    @OptionGroup var metrics: MetricsOptions

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard devices > 0 else { throw ValidationError("--devices must be at least 1") }
        guard pki != nil || fleetDirectory != nil else {
            throw ValidationError("give --pki to issue the devices' identities, or --fleet-directory holding them already")
        }
        // Bounded so that the schedule's arithmetic (events due, connect times) stays inside Int.
        guard (0...1_000_000).contains(rate), (0...1_000_000_000).contains(duration),
            connectRate == 0 || (0.001...1_000_000).contains(connectRate)
        else {
            throw ValidationError(
                "--rate must be from 0 to 1000000, --duration from 0 to 1000000000 seconds, --connect-rate 0 or from 0.001 to 1000000")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger()
        let shard =
            try self.shard.map(FleetShard.init(parsing:)) ?? FleetShard.fromEnvironment(ProcessInfo.processInfo.environment) ?? .whole
        let plan = FleetPlan(
            devices: devices, broker: try BrokerAddress(parsing: broker), eventsPerSecond: rate,
            duration: .milliseconds(Int(duration * 1000)), connectsPerSecond: connectRate, protocolVersion: mqttVersion.version,
            trace: try trace.map { try Trace.load(contentsOf: $0) }, shard: shard, eventsStartAt: try startAt.map(FleetPlan.startTime))
        guard !plan.deviceIndices.isEmpty else { throw FleetError.shardWithoutDevices(shard, fleetDevices: devices) }
        let fleet = FleetDirectory(directory: fleetDirectory ?? (pki! as NSString).appendingPathComponent("fleet"))
        let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
        let progressLine = ProgressLine()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let states = try await fleet.prepare(plan, pki: try pki.map { try DevelopmentPKI(opening: $0) }, profile: profile) { made, missing in
            if made == missing || made % 50 == 0 {
                progressLine.show("making devices: \(made) of \(missing) new keys and certificates, on \(cores) cores")
            }
        }
        let endpoint = try await metrics.start(logger: logger)
        let stop = FleetStopRequest()
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                progressLine.show("stopping early: the report covers what ran")
                stop.request()
            }
        }
        defer { signals.cancel() }
        let report: FleetReport
        do {
            report = try await FleetSimulation.run(
                plan: plan, states: states, spoolMetrics: endpoint != nil, stop: stop,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: logger
            ) { phase, snapshot in
                progressLine.show(
                    "\(phase.rawValue): connected \(snapshot.connected)/\(states.count), events \(snapshot.eventsGiven) given, "
                        + "\(snapshot.eventsAcknowledged) acknowledged, errors \(snapshot.errorCount)")
            }
        } catch {
            await endpoint?.stop()
            throw error
        }
        await endpoint?.stop()
        progressLine.finish()
        report.lines.forEach { print($0) }
        if let json {
            if json == "-" { print(report.jsonLine) } else { try Data((report.json + "\n").utf8).write(to: URL(fileURLWithPath: json)) }
        }
        if report.connected < states.count { throw ExitCode.failure }
    }
}

/// One line on standard error, rewritten in place on a terminal, else a line each.
final class ProgressLine: Sendable {
    private let terminal = isatty(2) != 0

    func show(_ text: String) {
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}

import ArgumentParser
import DevelopmentTools
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
            reused after (it refuses devices an earlier PKI in the same directory issued). With your own PKI, give \
            --identities: a directory (read-only will do, e.g. a Kubernetes Secret) holding SERIAL.crt (the device's \
            certificate, then its CA) and SERIAL.key for each device, and root.crt, the CA of the broker's certificate; \
            or put enrolled devices in the fleet directory. Devices connect at --connect-rate; then \
            --rate events a second, spread over the connected devices, for --duration; then each says offline and \
            disconnects. A progress line shows connected devices, events and errors each second; the report gives \
            connects per second, TLS handshake, CONNACK and publish-to-PUBACK latencies (p50/p95/p99/max, HdrHistogram), \
            events per second, errors by kind and memory per device. SIGINT (Ctrl-C) or SIGTERM ends the run early, \
            with the devices saying offline and the report covering what ran and saying that it stopped early; it \
            then exits 130 (SIGINT) or 143 (SIGTERM), as a process ended by the signal would, so that a script or a \
            Kubernetes Job does not take a run cut short for a success. While the devices are being made, a signal \
            stops the making (what is made is kept) and exits so, without a report: nothing ran.

            A fleet larger than one machine runs as shards: `--shard K/N` (K from 0; or SMARTREADER_SHARD=K/N, or a \
            Kubernetes Indexed Job's JOB_COMPLETION_INDEX=K with SMARTREADER_SHARDS=N) runs the K-th of N disjoint \
            slices of the --devices serial numbers, issuing only its own identities (on every core, from a PKI that may \
            be read-only, e.g. the Client CA and its key mounted as a Secret), at its share of --rate. --start-at makes \
            every shard begin its events at one moment. `smartreader report merge` makes the shards' --json reports \
            into the fleet's. Serial numbers (client IDs) run from 5F000000: at most 16777216 devices. A shard whose \
            device's session the broker gives to another client (the same shard running twice: an MQTT 5 DISCONNECT \
            0x8E, or the broker closing one device's connection 3 times in 30 s) stops early and exits 1, naming it.
            """)

    @Option(help: "How many devices in the whole fleet (over every shard), at most 16777216.")
    var devices: Int

    @Option(
        name: .long,
        help: "The PKI that issues the devices' certificates (`pki init`; read-only will do: root.crt, client-ca.crt and .key).")
    var pki: String?

    @Option(
        name: .long, help: "Pre-enrolled identities (read-only will do): SERIAL.crt and SERIAL.key for each device, and root.crt.")
    var identities: String?

    // Unconditional: `--shard -1/4` reaches the shard's own check, which says what is wrong, instead
    // of the parser taking -1/4 for an option.
    @Option(
        parsing: .unconditional,
        help:
            "Run the K-th of N slices of the fleet, given as K/N with 0 <= K < N (default: SMARTREADER_SHARD, JOB_COMPLETION_INDEX, or all)."
    )
    var shard: String?

    @Option(
        name: .customLong("start-at"),
        help: """
            Begin the events at this UTC time, the same for every shard: 2026-12-01T09:00:00Z (or .250Z), ending in Z, \
            at most 24 h ahead.
            """)
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

    @OptionGroup var logging: LoggingOptions<NoticeAndWorse>

    func validate() throws {
        guard devices > 0 else { throw ValidationError("--devices must be at least 1") }
        guard devices <= FleetPlan.maximumDevices else { throw ValidationError(FleetError.tooManyDevices(devices).description) }
        guard pki == nil || identities == nil else {
            throw ValidationError("give --pki to issue the devices' identities or --identities holding them, not both")
        }
        guard identities == nil || fleetDirectory != nil else {
            throw ValidationError("--identities needs --fleet-directory: a writable directory where the devices keep their state")
        }
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
            try self.shard.map { try FleetShard(parsing: $0) } ?? FleetShard.fromEnvironment(ProcessInfo.processInfo.environment) ?? .whole
        let eventDuration = Duration.milliseconds(Int(duration * 1000))
        let eventsStartAt = try startAt.map { try FleetPlan.startTime($0, now: Date(), duration: eventDuration) }
        let plan = FleetPlan(
            devices: devices, broker: try BrokerAddress(parsing: broker), eventsPerSecond: rate, duration: eventDuration,
            connectsPerSecond: connectRate, protocolVersion: mqttVersion.version, trace: try trace.map { try Trace.load(contentsOf: $0) },
            shard: shard, eventsStartAt: eventsStartAt)
        guard !plan.deviceIndices.isEmpty else { throw FleetError.shardWithoutDevices(shard, fleetDevices: devices) }
        let fleet = FleetDirectory(directory: fleetDirectory ?? (pki! as NSString).appendingPathComponent("fleet"))
        let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
        let progressLine = ProgressLine()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let source: FleetIdentitySource
        let making: String
        if let pki {
            source = .issuing(try DevelopmentPKI(opening: pki))
            making = "new keys and certificates, on \(cores) cores"
        } else if let identities {
            source = .enrolled(FleetEnrolledIdentities(directory: identities))
            making = "from the identities in \(identities)"
        } else {
            (source, making) = (.present, "")
        }
        // Trapped before the devices are made: as a container's first process (PID 1) a signal
        // without a handler is ignored, and the pod would wait for SIGKILL.
        let stop = FleetStopRequest()
        let signals = Task {
            for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                progressLine.show("\(signal): stopping")
                stop.request(.signal("\(signal)"))
            }
        }
        defer { signals.cancel() }
        let states: [DeviceStateDirectory]
        do {
            states = try await fleet.prepare(plan, from: source, profile: profile, stop: stop) { made, missing in
                if made == missing || made % 50 == 0 { progressLine.show("making devices: \(made) of \(missing) \(making)") }
            }
        } catch let error as FleetError {
            guard case .stoppedWhileMaking(let signal, _, _) = error else { throw error }
            progressLine.finish()
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            throw ExitCode(FleetEarlyStop.exitStatus(signal: signal) ?? 1)
        }
        let endpoint = try await metrics.start(logger: logger)
        let report: FleetReport
        do {
            report = try await FleetSimulation.run(
                plan: plan, states: states, spoolMetrics: endpoint != nil, stop: stop,
                eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                logger: logger
            ) { phase, snapshot in
                progressLine.show(
                    "\(phase.rawValue): connected \(snapshot.online)/\(states.count), events \(snapshot.eventsGiven) given, "
                        + "\(snapshot.eventsAcknowledged) acknowledged, errors \(snapshot.errorCount)")
            }
        } catch {
            await endpoint?.stop()
            throw error
        }
        await endpoint?.stop()
        progressLine.finish()
        // Said before the report, not thrown after it: the JSON stays the log's last line (a pod's).
        var takenOver: FleetError?
        if case .sessionTakenOver(let clientID)? = stop.current?.reason { takenOver = .sessionTakenOver(clientID: clientID, shard: shard) }
        if let takenOver { FileHandle.standardError.write(Data("Error: \(takenOver)\n".utf8)) }
        report.lines.forEach { print($0) }
        if let json {
            if json == "-" { print(report.jsonLine) } else { try Data((report.json + "\n").utf8).write(to: URL(fileURLWithPath: json)) }
        }
        if let status = report.shards.first?.stoppedEarly?.signalExitStatus { throw ExitCode(status) }
        if takenOver != nil || report.connected < states.count { throw ExitCode.failure }
    }
}

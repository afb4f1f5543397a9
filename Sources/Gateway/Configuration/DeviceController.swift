import Foundation
import HostSystem
import Logging
import NIOCore
import Spool
import SpringCore
import TagReaders

/// The running device across reboots, and the one entry point for reconfiguration: every push
/// (control socket, inbox, `cfg/set`, SIGHUP) goes through `apply`, one at a time. A push is
/// judged whole, written atomically with the old configuration kept as last known good, and
/// then the device reboots into it on trial: STATUS `offline`, a new connection with the new
/// settings, META. If the broker cannot be reached within `rollbackAfter`, the last known good
/// configuration comes back. The trial is on disk, so a restart resumes it; a newer push or a
/// shutdown ends it at once. The outbox and the boot counter outlive reboots, and tags are read
/// from the start, whether or not the broker is there.
public actor DeviceController {
    public let state: DeviceStateDirectory
    public let options: DeviceRunOptions
    public let rollbackAfter: Duration
    private let store: ConfigurationStore
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let outbox: Outbox
    /// Hears what each boot's device hears on `cfg/set`; nil leaves `cfg/set` unsubscribed.
    private let remoteConfiguration: RemoteConfiguration?
    private var device: SmartReaderDevice?
    /// config.json as the current boot read it: what a rollback returns to.
    private var runningFile = ConfigData()
    private var applying = false
    private var applyQueue: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    /// The trial under way, from the moment it begins: what cuts it short may come before its device exists.
    private var trial: TrialState?
    /// Events read before the first boot made a device; handed to it in order.
    private var earlyEvents: [TagEvent] = []
    private let started = Date()
    private var eventsRead = 0
    private var lastEvent: (time: Date, tagID: String)?

    /// `remoteConfiguration` hears the pushes that arrive on `cfg/set`, when the configuration
    /// enables it; whoever runs the controller applies them (`RemoteConfiguration.run`).
    public init(
        state: DeviceStateDirectory, options: DeviceRunOptions, rollbackAfter: Duration = .seconds(60),
        remoteConfiguration: RemoteConfiguration? = nil, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws(SpoolError) {
        // The spool lives with the device: events read but not acknowledged survive a restart.
        outbox = try Outbox(store: SpoolStore(path: state.spoolPath), limits: options.spoolLimits, logger: logger)
        if outbox.depth > 0 { logger.notice("\(outbox.report.summary) from before; they are sent first") }
        self.state = state
        self.options = options
        self.rollbackAfter = rollbackAfter
        self.remoteConfiguration = remoteConfiguration
        self.store = ConfigurationStore(state: state, options: options)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Boots with the configuration in the state directory; connecting goes on in the
    /// background. A trial that a restart cut short is resumed first, with the time it had left.
    public func start() async throws {
        await acquire()
        defer { release() }
        runningFile = try state.loadCurrentFile()
        guard let unfinished = ConfigurationTrial.load(in: state) else {
            try await boot(store.settings(for: runningFile, source: state.configurationPath))
            return
        }
        let limit = unfinished.remaining(atLeast: .seconds(10), atMost: rollbackAfter)
        logger.notice("resuming the trial of \(unfinished.source), cut short by a restart: \(limit) left to reach the broker")
        await finish(await runTrial(runningFile, source: unfinished.source, configID: unfinished.configID, limit: limit))
    }

    public func accept(_ event: TagEvent) async {
        eventsRead += 1
        lastEvent = (Date(), event.tagID)
        guard let device, earlyEvents.isEmpty else {
            earlyEvents.append(event)
            return
        }
        await device.accept(event)
    }

    public func health() async -> DeviceHealth {
        let spool = outbox.report
        // Before the first boot has made its device, only the state directory knows the serial number.
        let serialNumber = device?.settings.factory.serialNumber ?? (try? state.loadFactory())?.serialNumber ?? ""
        var health = DeviceHealth(
            serialNumber: serialNumber, clientID: "", broker: "", connected: false, since: started, lastProblem: nil,
            bootCount: 0, configID: "", eventsRead: eventsRead, lastEvent: lastEvent?.time, lastTagID: lastEvent?.tagID,
            spoolDepth: spool.depth, spoolBytes: spool.bytes, spoolOldest: spool.oldestStored, spoolDropped: spool.losses.dropped,
            spoolExpired: spool.losses.expired, certificateNotAfter: nil)
        health.noteRefusals(spool)
        if let device {
            let settings = device.settings
            health.clientID = device.clientID
            health.broker = "\(settings.broker.host):\(settings.brokerPort)"
            health.connected = await device.isConnected
            health.since = max(started, await device.connectionChanged)
            health.lastProblem = await device.lastConnectionProblem
            health.bootCount = device.uptime.bootCount
            health.configID = settings.device.labels.configID
            health.certificateNotAfter = device.certificateNotAfter
            health.indicators = await device.indicators.settled(at: Date())
        }
        return health
    }

    /// SIGHUP: config.json as it is on disk when its turn comes, through the same judgement as a
    /// push. Unlike a push it does not end a trial: during one, config.json is the configuration
    /// on trial, and read after the trial it is whatever the trial left (a rollback's file).
    public func reload() async -> ConfigurationOutcome {
        await acquire()
        defer { release() }
        let outcome: ConfigurationOutcome
        do {
            // Read as every state file is: a regular file within the size limit, never through a link.
            let content = try ConfigData.read(state.configurationPath)
            outcome = await applyExclusively(ConfigurationPush(content: content, source: state.configurationPath))
        } catch {
            outcome = ConfigurationOutcome(
                result: .rejected, source: state.configurationPath, reason: "\(error); the running configuration stays")
        }
        await finish(outcome)
        return outcome
    }

    public func apply(_ push: ConfigurationPush) async -> ConfigurationOutcome {
        // Refused for shutdown (below), a retained push is not yet taken: the next start applies it.
        if !stopped, let delivery = push.brokerDelivery, let repeated = RetainedPushRecord(state: state).take(push.content, delivery) {
            logger.info("\(push.source): \(repeated)")
            return ConfigurationOutcome(result: .unchanged, source: push.source, reason: repeated)
        }
        // The pusher of a newer file no longer waits on a trial: it ends now, and rolls back.
        interruptTrial(.superseded(by: push.source))
        return await applyInTurn(push)
    }

    /// `push` is on its way: a trial under way ends now, as `apply` would end it, for a source that
    /// applies its pushes one after another, in the order they came. Not for the retained message
    /// taken last, delivered again at the trial's own subscription: `apply` will not apply it.
    public func supersedeTrial(by push: ConfigurationPush) {
        if let delivery = push.brokerDelivery, RetainedPushRecord(state: state).isRepeat(push.content, delivery) { return }
        interruptTrial(.superseded(by: push.source))
    }

    /// Shutdown has begun: pushes are refused from now on, and a trial under way ends at once
    /// (it stays on disk, for the next start to resume), so that nothing waits for its deadline.
    public func beginShutdown() {
        stopped = true
        interruptTrial(.shutdown)
    }

    /// STATUS `offline` and DISCONNECT, once whatever holds the device has let go of it.
    public func stop() async {
        beginShutdown()
        await acquire()
        defer { release() }
        await device?.stop()
    }

    private func applyInTurn(_ push: ConfigurationPush) async -> ConfigurationOutcome {
        await acquire()
        defer { release() }
        let outcome = await applyExclusively(push)
        await finish(outcome)
        return outcome
    }

    /// Logs an outcome, and tells the pusher on `cfg/result` unless the trial's device already did.
    private func finish(_ outcome: ConfigurationOutcome) async {
        switch outcome.result {
        case .applied, .stored, .unchanged: logger.notice("configuration \(outcome.description)")
        case .rejected, .rolledBack, .interrupted: logger.error("configuration \(outcome.description)")
        }
        if outcome.result != .applied { await device?.report(outcome) }
    }

    private func applyExclusively(_ push: ConfigurationPush) async -> ConfigurationOutcome {
        func outcome(_ result: ConfigurationOutcome.Result, configID: String? = nil, reason: String? = nil) -> ConfigurationOutcome {
            ConfigurationOutcome(result: result, source: push.source, configID: configID, reason: reason)
        }
        guard !stopped else { return outcome(.rejected, reason: "the device is shutting down") }
        let file: ConfigData
        let settings: DeviceSettings
        do {
            (file, settings) = try store.judge(push, running: runningFile, logger: logger)
        } catch {
            return outcome(.rejected, reason: error.description)
        }
        let configID = settings.device.labels.configID
        // A repeated push (a retained message, a second SIGHUP) must not reboot the device each time.
        guard file != runningFile else { return outcome(.unchanged, configID: configID) }
        let record = ConfigurationTrial(source: push.source, configID: configID, deadline: Date() + rollbackAfter / .seconds(1))
        do {
            // The trial is recorded before config.json changes: a crash in between leaves a trial
            // that resumes, never an unproven configuration that runs unwatched.
            if push.reset { try record.save(in: state) }
            try store.install(file, replacing: runningFile)
        } catch {
            ConfigurationTrial.end(in: state)
            return outcome(.rejected, reason: "\(error)")
        }
        guard push.reset else { return outcome(.stored, configID: configID) }
        return await runTrial(file, source: push.source, configID: configID, limit: rollbackAfter)
    }

    /// Reboots into `file`, already in config.json with its trial recorded, and gives it `limit`
    /// to reach the broker; otherwise, or when a newer push ends the trial, the last known good
    /// configuration comes back. A shutdown leaves the trial on disk.
    private func runTrial(_ file: ConfigData, source: String, configID: String, limit: Duration) async -> ConfigurationOutcome {
        func outcome(_ result: ConfigurationOutcome.Result, reason: String? = nil) -> ConfigurationOutcome {
            ConfigurationOutcome(result: result, source: source, configID: configID, reason: reason)
        }
        trial = TrialState()
        let started = ContinuousClock.now
        await device?.stop(forReboot: true)
        runningFile = file
        let unreachable = "with it the device could not reach its broker within \(limit)"
        /// Why the trial failed; none is needed when something interrupted it (the interruption is the reason).
        var failure = ""
        do {
            let settings = try store.settings(for: file, source: state.configurationPath)
            let (device, connection) = try await boot(settings)
            trial?.device = device
            // Interrupted while the previous boot stopped or this one began: end it now.
            if trial?.interruption != nil { await device.stop(forReboot: true) }
            // Against a broker silent to an MQTT 5.0 CONNECT, the fall-back to 3.1.1 takes two connect timeouts.
            let connectTimeout = Duration.seconds(Int(max(settings.clientOptions.connectTimeout, 1)))
            if limit < connectTimeout * 2 {
                logger.warning(
                    "the trial of \(source) lasts \(limit), less than two connect timeouts (\(connectTimeout * 2)): a broker silent to MQTT 5.0 may roll a good configuration back; raise --rollback-after or pin emulator.mqtt-version"
                )
            }
            if try await withDeadline(limit, { try await connection.value }) != nil {
                // Connected, the broker may still close the new topics to this device (its ACL):
                // MQTT 5 says so in META's PUBACK, and some brokers drop such a client instead.
                // A META not answered by the trial's end is not taken for a refusal.
                let responseTimeout = Duration.seconds(Int(max(settings.clientOptions.responseTimeout, 1)))
                let meta = await device.metaOutcome(within: max(limit - (ContinuousClock.now - started), responseTimeout))
                if trial?.interruption == nil {
                    let checkACL = "check the topic prefix (register 028E) and the Device ID (028F) against the broker's ACL"
                    switch meta {
                    case .answered(let code)? where code.isFailure:
                        failure =
                            "with it the device reached its broker, but the broker refused its META on \(settings.topics.meta): \(code); "
                            + checkACL
                    case .connectionLost(let error)?:
                        failure =
                            "with it the device reached its broker, but lost the connection before META on \(settings.topics.meta) was "
                            + "answered (\(error)): a broker that drops a client for a publish it refuses does this; " + checkACL
                    default:
                        trial = nil
                        ConfigurationTrial.end(in: state)
                        let applied = outcome(.applied)
                        await device.report(applied)
                        return applied
                    }
                }
            } else {
                let problem =
                    await device.lastConnectionProblem.map { "the last attempt: \($0)" }
                    ?? "no connection attempt finished (connect timeout \(connectTimeout))"
                failure = "\(unreachable): \(problem)"
            }
        } catch {
            failure = "\(unreachable): \(error)"
        }
        let interruption = trial?.interruption
        trial = nil
        let reason: String
        switch interruption {
        case .shutdown?:
            return outcome(.interrupted, reason: "the daemon stopped during the trial; the trial resumes at its next start")
        case .superseded(let newer)?:
            reason = "\(newer) arrived before it reached the broker"
        case nil:
            reason = failure
        }
        logger.error("rolling back \(source): \(reason)")
        await device?.stop(forReboot: true)
        do {
            runningFile = try store.rollBack()
            ConfigurationTrial.end(in: state)
            try await boot(store.settings(for: runningFile, source: state.configurationPath))
        } catch {
            logger.critical("the last known good configuration cannot run either: \(error)")
        }
        return outcome(.rolledBack, reason: reason)
    }

    /// Ends a trial under way: its device stops, so its connection attempt ends with an error.
    private func interruptTrial(_ interruption: TrialInterruption) {
        guard trial != nil, trial?.interruption == nil else { return }
        trial?.interruption = interruption
        if let device = trial?.device { Task { await device.stop(forReboot: true) } }
    }

    /// A new boot of the device with `settings`. It connects, retrying, in the background; the
    /// task returned ends once it is connected, or with an error once the device stops.
    @discardableResult
    private func boot(_ settings: DeviceSettings) async throws -> (SmartReaderDevice, Task<Void, any Error>) {
        let device = try SmartReaderDevice(
            settings: settings, state: state, options: options, outbox: outbox, eventLoopGroup: eventLoopGroup, logger: logger,
            remoteConfiguration: remoteConfiguration)
        self.device = device
        let connection = Task { try await device.start(retryUntilConnected: true) }
        while let event = earlyEvents.first {
            await device.accept(event)
            earlyEvents.removeFirst()
        }
        return (device, connection)
    }

    private func acquire() async {
        guard applying else {
            applying = true
            return
        }
        await withCheckedContinuation { applyQueue.append($0) }
    }

    private func release() {
        if applyQueue.isEmpty { applying = false } else { applyQueue.removeFirst().resume() }
    }
}

/// What ended a trial before its deadline.
private enum TrialInterruption {
    case shutdown
    case superseded(by: String)
}

/// A trial under way: its device once booted, and what interrupted it, if anything did.
private struct TrialState {
    var device: SmartReaderDevice?
    var interruption: TrialInterruption?
}

// MARK: Events the broker refused

extension DeviceController {
    /// `smartreader spool retry`: the refused events go back in line, oldest first, and out
    /// with the next batch; returns how many.
    public func retryRefused() async -> Int {
        let count = outbox.retryRefused()
        await outbox.flush()
        logger.notice("\(count) events the broker had refused are sent again, as the operator asked")
        return count
    }

    /// `smartreader spool discard`: the refused events go, counted as discarded; returns how many.
    public func discardRefused() async -> Int {
        let count = outbox.discardRefused()
        await outbox.flush()
        logger.notice("\(count) events the broker had refused are discarded, as the operator asked")
        return count
    }
}

import Foundation
import Logging
import NIOCore
import Spool
import SpringCore
import TagReaders

/// The running device across reboots, and the one entry point for reconfiguration: every push
/// (control socket, inbox, `cfg/set`, SIGHUP) goes through `apply`, one at a time. A push is
/// judged whole, written atomically with the old configuration kept as last known good, and
/// then the device reboots: STATUS `offline`, a new connection with the new settings, META. If
/// the broker cannot be reached within `rollbackAfter`, the last known good configuration comes
/// back. The outbox and the boot counter outlive reboots.
public actor DeviceController {
    public let state: DeviceStateDirectory
    public let options: DeviceRunOptions
    public let rollbackAfter: Duration
    private let store: ConfigurationStore
    private let eventLoopGroup: any EventLoopGroup
    private let logger: Logger
    private let outbox: Outbox
    private var device: SmartReaderDevice?
    /// config.json as the current boot read it: what a rollback returns to.
    private var runningFile = ConfigData()
    private var applying = false
    private var applyQueue: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    /// Reboots begun by pushes; one during the first connection attempts replaces that boot.
    private var reboots = 0
    private let started = Date()
    private var eventsRead = 0
    private var lastEvent: (time: Date, tagID: String)?

    public init(
        state: DeviceStateDirectory, options: DeviceRunOptions, rollbackAfter: Duration = .seconds(60), eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) throws(SpoolError) {
        // The spool lives with the device: events read but not acknowledged survive a restart.
        outbox = try Outbox(store: SpoolStore(path: state.spoolPath), limits: options.spoolLimits, logger: logger)
        if outbox.depth > 0 { logger.notice("\(outbox.report.summary) from before; they are sent first") }
        self.state = state
        self.options = options
        self.rollbackAfter = rollbackAfter
        self.store = ConfigurationStore(state: state, options: options)
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    /// Boots with the configuration in the state directory and waits until connected, or until
    /// a push (the way to correct a broker address the device cannot reach) has rebooted it.
    public func start() async throws {
        runningFile = try state.loadCurrentFile()
        let settings = try store.settings(for: runningFile, source: state.configurationPath)
        let rebootsBefore = reboots
        do {
            try await boot(settings, giveUpAfter: nil)
        } catch  where reboots != rebootsBefore {
            logger.notice("a configuration push replaced the first boot before it reached the broker")
        }
    }

    public func accept(_ event: TagEvent) async {
        eventsRead += 1
        lastEvent = (Date(), event.tagID)
        await device?.accept(event)
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
        }
        return health
    }

    /// SIGHUP: config.json as it is now on disk, through the same judgement as a push.
    public func reload() async -> ConfigurationOutcome {
        guard let content = FileManager.default.contents(atPath: state.configurationPath) else {
            let outcome = ConfigurationOutcome(
                result: .rejected, source: state.configurationPath, reason: "cannot be read; the running configuration stays")
            logger.error("SIGHUP: \(outcome)")
            return outcome
        }
        return await apply(ConfigurationPush(content: Array(content), source: state.configurationPath))
    }

    public func apply(_ push: ConfigurationPush) async -> ConfigurationOutcome {
        await acquire()
        defer { release() }
        let outcome = await applyExclusively(push)
        switch outcome.result {
        case .applied, .stored: logger.notice("configuration \(outcome)")
        case .rejected, .rolledBack: logger.error("configuration \(outcome)")
        }
        if outcome.result != .applied { await device?.report(outcome) }
        return outcome
    }

    /// STATUS `offline` and DISCONNECT; later pushes are refused.
    public func stop() async {
        await acquire()
        defer { release() }
        stopped = true
        await device?.stop()
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
            try store.install(file, replacing: runningFile)
        } catch {
            return outcome(.rejected, reason: error.description)
        }
        let configID = settings.device.labels.configID
        guard push.reset else { return outcome(.stored, configID: configID) }
        reboots += 1
        await device?.stop(forReboot: true)
        runningFile = file
        do {
            try await boot(settings, giveUpAfter: rollbackAfter)
            let applied = outcome(.applied, configID: configID)
            await device?.report(applied)
            return applied
        } catch {
            let reason = "with it the device could not reach its broker within \(rollbackAfter): \(error)"
            logger.error("rolling back \(push.source): \(reason)")
            await device?.stop(forReboot: true)
            do {
                runningFile = try store.rollBack()
                try await boot(store.settings(for: runningFile, source: state.configurationPath), giveUpAfter: nil)
            } catch {
                logger.critical("the last known good configuration cannot run either: \(error)")
            }
            return outcome(.rolledBack, configID: configID, reason: reason)
        }
    }

    /// A new boot of the device with `settings`; with a limit, not being connected in time is an error.
    private func boot(_ settings: DeviceSettings, giveUpAfter limit: Duration?) async throws {
        let device = try SmartReaderDevice(
            settings: settings, state: state, options: options, outbox: outbox, eventLoopGroup: eventLoopGroup, logger: logger
        ) { [weak self] push in
            _ = await self?.apply(push)
        }
        self.device = device
        guard let limit else {
            try await device.start(retryUntilConnected: true)
            return
        }
        guard try await withDeadline(limit, { try await device.start(retryUntilConnected: true) }) != nil else {
            throw BootTimeout(lastProblem: await device.lastConnectionProblem)
        }
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

private struct BootTimeout: Error, CustomStringConvertible {
    var lastProblem: String?

    var description: String { lastProblem.map { "the last attempt: \($0)" } ?? "no attempt finished" }
}

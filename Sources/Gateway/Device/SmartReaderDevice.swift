import Foundation
import HostSystem
import Logging
import MQTT
import NIOCore
import Spool
import SpringCore
import TagReaders

/// One boot of an emulated SpringCore Smart Reader connected to its broker: META and STATUS on
/// every connection, periodic STATUS, tag events through the outbox, commands from `rdr/cmd`,
/// configuration pushes from `cfg/set` when enabled, and `offline` before a clean disconnect.
/// A reboot ends this object; the outbox it publishes from outlives it.
public actor SmartReaderDevice {
    public nonisolated let settings: DeviceSettings
    public nonisolated let clientID: String
    public nonisolated let certificateNotAfter: Date?
    let client: MQTTClient
    private let outbox: Outbox
    private let formatter: ReaderEventFormatter
    let logger: Logger
    /// META, STATUS and the greeting of each connection.
    private let announcement: DeviceAnnouncement
    private let publishQoS: MQTTQoS
    /// What the run asked beyond the registers: STATUS and payload extras, metrics, the acknowledgement hook.
    let options: DeviceRunOptions
    private var tasks: [Task<Void, Never>] = []
    private let rejectedEvents = EventCounter()
    /// Off (`emulator.extensions` false): only what the vendor documents goes on the wire (docs/publishing.md, "Extensions").
    private let extensions: Bool
    private let droppedWhileDisconnected = EventCounter()
    private let reporter: ReadReporter
    /// Hears the pushes on `cfg/set`; nil when this boot does not subscribe to it.
    let remoteConfiguration: RemoteConfiguration?
    /// Results of configuration pushes, published on `cfg/result` once this boot has announced itself.
    private var pendingResults: [ConfigurationOutcome] = []
    /// Why the last connection or attempt ended, for a rollback's reason.
    public private(set) var lastConnectionProblem: String?
    public private(set) var isConnected = false
    /// When the current connection was made, or since when there has been none.
    public private(set) var connectionChanged = Date()
    /// What the host's commands on `rdr/cmd` told the LEDs, buzzer and relays this boot.
    public internal(set) var indicators = ReaderIndicators()
    /// The current connection has carried this boot's META: configuration results may follow.
    private var announced = false
    /// Once set, `start` refuses: a reboot or shutdown may come before the boot's start has run.
    private var stopping = false
    /// What became of this boot's first META, the first outcome kept: a pushed configuration's
    /// trial waits for it, since a broker that takes the connection may still close the device's topics.
    private let metaOutcomes: AsyncStream<MetaOutcome>
    private let metaOutcome: AsyncStream<MetaOutcome>.Continuation

    /// `remoteConfiguration` hears what arrives on `cfg/set` when the configuration enables it.
    public init(
        settings: DeviceSettings, state: DeviceStateDirectory, options: DeviceRunOptions, outbox: Outbox,
        eventLoopGroup: any EventLoopGroup, logger: Logger, remoteConfiguration: RemoteConfiguration? = nil
    ) throws {
        try StateDirectoryTrust(state: state).check()
        var logger = logger
        logger[metadataKey: "device"] = "\(settings.factory.serialNumber)"
        let identity = try DeviceTLSIdentity(settings: settings, state: state, options: options, logger: logger)
        let clientOptions = settings.clientOptions
        let extensions = settings.device.extensions
        // The vendor defines 0289's "broker accepts retained" bit but not which messages carry it.
        let retainState = clientOptions.brokerAcceptsRetain && extensions
        var effectiveOptions = options
        if !extensions && (options.statusReportsSpool || options.eventIDInPayload) {
            logger.warning(
                "emulator.extensions is off: STATUS carries no Spool and READER EVENT no EventId, whatever the command line asks")
            (effectiveOptions.statusReportsSpool, effectiveOptions.eventIDInPayload) = (false, false)
        }
        if clientOptions.publishQoS > 1 {
            logger.warning("register 0289 asks for publish QoS \(clientOptions.publishQoS); events are published at QoS 1")
        }
        let publishQoS = MQTTQoS(rawValue: min(clientOptions.publishQoS, 1))!
        let lastWill =
            clientOptions.brokerAcceptsWill
            ? MQTTWill(
                topic: settings.topics.status, payload: Array(StatusMessage.lastWill.json.utf8), qos: publishQoS,
                retain: retainState)
            : nil
        let version = MQTTVersionChoice(pinned: options.protocolVersion, setting: settings.device.mqttVersion)
        let configuration = MQTTClientConfiguration(
            host: settings.broker.host, port: settings.brokerPort, tls: identity.configuration,
            protocolVersion: version.firstVersion, fallsBackToVersion311: version.fallsBack, clientIdentifier: identity.clientID,
            keepAlive: UInt16(clientOptions.keepAlive), will: lastWill, username: settings.login, password: settings.password,
            connectTimeout: .seconds(Int(max(clientOptions.connectTimeout, 1))),
            responseTimeout: .seconds(Int(max(clientOptions.responseTimeout, 1))),
            maximumInFlight: options.maximumInFlight,
            backoff: ReconnectBackoff(ceiling: .seconds(Int(max(clientOptions.reconnectInterval, 1)))))
        // cfg/set is heard only when the configuration enables it and someone takes the pushes.
        let remoteConfiguration = settings.device.remoteConfiguration ? remoteConfiguration : nil
        let subscribeQoS = MQTTQoS(rawValue: min(settings.clientOptions.subscribeQoS, 2))!
        let (metaOutcomes, metaOutcome) = AsyncStream.makeStream(of: MetaOutcome.self, bufferingPolicy: .bufferingOldest(1))
        (self.metaOutcomes, self.metaOutcome) = (metaOutcomes, metaOutcome)
        let announcement = DeviceAnnouncement(
            settings: settings, bootCount: try state.nextBootCount(logger: logger), bootInstant: .now, outbox: outbox,
            statusReportsSpool: effectiveOptions.statusReportsSpool, qos: publishQoS, retain: retainState,
            subscriptions: ([settings.topics.readerCommand] + (remoteConfiguration != nil ? [settings.topics.configurationSet] : []))
                .map { MQTTSubscription(topicFilter: $0, qos: subscribeQoS) },
            metaAnswered: { metaOutcome.yield(.answered($0)) }, logger: logger)
        let source = OutboxPublishSource(
            outbox: outbox, announcement: announcement, tagsEventID: extensions, rejected: rejectedEvents,
            eventAcknowledged: options.eventAcknowledged, logger: logger)
        self.settings = settings
        self.clientID = identity.clientID
        self.certificateNotAfter = identity.certificateNotAfter
        self.client = try MQTTClient(
            configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, source: source, transport: options.transport)
        self.announcement = announcement
        self.outbox = outbox
        self.formatter = ReaderEventFormatter(settings: settings)
        self.reporter = ReadReporter(ReadReporting(features: settings.device.features, delays: settings.device.readDelays))
        self.remoteConfiguration = remoteConfiguration
        self.logger = logger
        self.publishQoS = publishQoS
        self.extensions = extensions
        self.options = effectiveOptions
    }

    public nonisolated var uptime: Uptime { announcement.uptime }

    /// Whether the connection to the broker is up now, as its event loop sees it.
    public nonisolated var isOnline: Bool { client.isLinkUp }

    /// How the current (or last) connection came up.
    public var lastConnectTimings: MQTTConnectTimings? { get async { await client.lastConnectTimings } }

    /// Connects (or, with `retryUntilConnected`, keeps trying) and starts publishing. A device
    /// stopped before it started never connects: it would hold a session nobody ends.
    public func start(retryUntilConnected: Bool) async throws {
        guard !stopping else { throw MQTTConnectionError.shutDown }
        logger.info(
            "SpringCore \(settings.factory.constants.productName) \(settings.factory.serialNumber) booting (boot \(announcement.bootCount)); client ID \(clientID), broker \(settings.broker.host):\(settings.brokerPort)"
        )
        tasks.append(Task { await self.followConnection() })
        tasks.append(Task { await self.handleCommands() })
        do {
            _ = try await client.start(retryUntilConnected: retryUntilConnected)
        } catch {
            await client.disconnect()
            for task in tasks { await task.value }
            tasks.removeAll()
            throw error
        }
        // A stop that came while connecting has cancelled the tasks it found and waits for them:
        // one added now would never be cancelled, and the stop would wait for it for ever.
        guard !stopping else { throw MQTTConnectionError.shutDown }
        tasks.append(Task { await self.publishStatusPeriodically() })
        if reporter.repeatsHeldTags { tasks.append(Task { await self.reporter.repeatHeldTags { await self.record($0) } }) }
        if options.reportsSpoolMetrics { tasks.append(Task { await self.reportSpoolMetrics() }) }
    }

    /// What became of this boot's first META, once known within `limit`; nil without an
    /// outcome (a QoS 0 META is never answered, or none came in time, or the device stopped).
    /// One caller: the trial of this boot.
    public func metaOutcome(within limit: Duration) async -> MetaOutcome? {
        guard publishQoS != .atMostOnce else { return nil }
        let outcomes = metaOutcomes
        return try? await withDeadline(limit) {
            for await outcome in outcomes { return outcome }
            return nil
        } ?? nil
    }

    /// Takes a tag event into the outbox as registers 02A0/02A1 report it; each report is
    /// published in order and counted until acknowledged.
    public nonisolated func accept(_ event: TagEvent) async {
        for report in reporter.reports(for: event) { await record(report) }
    }

    private nonisolated func record(_ report: ReadReport) async {
        GatewayMetrics.eventsRead.increment()
        // A SpringPark has no spool: what it reads while it has no broker is not sent later.
        // As the event loop sees it: a tag read once STATUS "ready" is on its way is sent.
        if !extensions, !client.isLinkUp {
            droppedWhileDisconnected.increment()
            logger.warning(
                "tag read while not connected: dropped, as a real device does with emulator.extensions off (\(droppedWhileDisconnected.value) so far)"
            )
            return
        }
        let uptime = self.uptime
        let (event, move) = (report.event, report.includesMove)
        if options.eventIDInPayload {
            await outbox.append(topic: settings.topics.readerEvent) {
                formatter.payload(for: event, uptime: uptime, includesMove: move, eventID: $0)
            }
        } else {
            await outbox.append(
                topic: settings.topics.readerEvent, payload: formatter.payload(for: event, uptime: uptime, includesMove: move))
        }
    }

    /// Publishes `outcome` on `cfg/result`, after this boot's META if that is still to come (the
    /// pusher learns what happened to its file once the device is back).
    public func report(_ outcome: ConfigurationOutcome) async {
        guard extensions else { return }
        pendingResults.append(outcome)
        guard announced else { return }
        if await client.isConnected { await publishResults() }
    }

    private func publishResults() async {
        let results = pendingResults
        pendingResults.removeAll()
        for outcome in results { await sendState(topic: settings.topics.configurationResult, json: outcome.json, retain: false) }
    }

    /// Returns once every accepted event has been acknowledged by the broker.
    public func drained() async { await outbox.drained() }

    /// Events the broker answered with a failure reason code (e.g. 0x87 not authorized).
    public nonisolated var eventsRejectedByBroker: Int { rejectedEvents.value }

    /// Tags read while disconnected with extensions off, and so never sent.
    public nonisolated var eventsDroppedWhileDisconnected: Int { droppedWhileDisconnected.value }

    /// The clean shutdown of the reference: STATUS `offline`, then DISCONNECT (so no Last Will).
    /// For a reboot the outbox stays open: events not yet acknowledged wait for the next boot.
    public func stop(forReboot: Bool = false) async {
        stopping = true
        // A trial waiting for META's answer has nothing more to wait for.
        metaOutcome.finish()
        if !forReboot { outbox.close() }
        let grace = Duration.seconds(Int(max(settings.clientOptions.responseTimeout, 1)))
        if await client.isConnected {
            // Events already read get the response timeout to reach the broker before we say goodbye.
            let outbox = self.outbox
            if !forReboot, (try? await withDeadline(grace, { await outbox.drained() })) == nil, outbox.depth > 0 {
                logger.warning("\(outbox.depth) events were not acknowledged before shutdown")
            }
            // STATUS offline is the last thing the broker hears of this boot: no event after it,
            // and none cut off unanswered by the close (a reboot's events wait in the outbox).
            await client.stopPublishing(waitingUpTo: grace)
            let client = self.client
            let topic = settings.topics.status
            let payload = ByteBuffer(string: announcement.status(.offline).json)
            let (qos, retain) = (publishQoS, announcement.retain)
            do {
                let answered = try await withDeadline(grace) {
                    try await client.publish(topic: topic, payload: payload, qos: qos, retain: retain)
                }
                if answered == nil { logger.warning("the broker did not acknowledge STATUS offline in time") }
            } catch {
                logger.warning("could not publish STATUS offline: \(error)")
            }
        }
        for task in tasks { task.cancel() }
        await client.disconnect()
        for task in tasks { await task.value }
        noteDisconnected()
        logger.info(forReboot ? "rebooting" : "stopped")
    }

    // MARK: Background work

    /// The greeting (META, STATUS, subscriptions) went out with CONNACK, on the event loop;
    /// this keeps the books and sends what waited for it.
    private func followConnection() async {
        for await event in client.connectionEvents {
            switch event {
            case .connected:
                (isConnected, connectionChanged) = (true, Date())
                GatewayMetrics.connects.increment()
                GatewayMetrics.connectedDevices.increment()
                announced = true
                await publishResults()
            case .disconnected(let error):
                GatewayMetrics.connectionError(error)
                if isConnected {
                    options.connectionLost?(error)
                    metaOutcome.yield(.connectionLost("\(error)"))
                }
                noteDisconnected()
                announced = false
                lastConnectionProblem = "\(error)"
            }
        }
    }

    private func noteDisconnected() {
        guard isConnected else { return }
        (isConnected, connectionChanged) = (false, Date())
        GatewayMetrics.connectedDevices.decrement()
    }

    private func sendState(topic: String, json: String, retain: Bool? = nil) async {
        do {
            try await client.send([announcement.message(topic: topic, json: json, retain: retain)])
        } catch {
            logger.warning("could not publish \(topic): \(error)")
        }
    }

    /// STATUS every status interval (0289), and the spool in the log when it holds or lost anything.
    private func publishStatusPeriodically() async {
        let interval = Duration.seconds(Int(settings.clientOptions.statusInterval))
        guard interval > .zero else { return }
        var lastReport = outbox.report
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let report = outbox.report
            if report.depth > 0 || report.losses != lastReport.losses { logger.info("spool: \(report.summary)") }
            lastReport = report
            if await client.isConnected {
                await sendState(topic: settings.topics.status, json: announcement.status(.ready).json)
            }
        }
    }

    private func reportSpoolMetrics() async {
        let device = settings.factory.serialNumber
        while !Task.isCancelled {
            GatewayMetrics.spool(device: device, outbox.report)
            do { try await Task.sleep(for: .seconds(1)) } catch { return }
        }
    }
}

/// What became of a boot's first META on the broker.
public enum MetaOutcome: Sendable {
    /// The broker's PUBACK, whatever its reason code.
    case answered(MQTTReasonCode)
    /// The connection was lost first.
    case connectionLost(String)
}

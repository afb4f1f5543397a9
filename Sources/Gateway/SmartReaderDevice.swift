import Foundation
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
    private let bootCount: Int
    private let bootInstant = ContinuousClock.now
    private let publishQoS: MQTTQoS
    private let retainState: Bool
    /// What the run asked beyond the registers: STATUS and payload extras, metrics, the acknowledgement hook.
    let options: DeviceRunOptions
    private var tasks: [Task<Void, Never>] = []
    private let rejectedEvents = EventCounter()
    /// Off (`emulator.extensions` false): only what the vendor documents goes on the wire (README, "Extensions").
    private let extensions: Bool
    private let droppedWhileDisconnected = EventCounter()
    private let reporter: ReadReporter
    let configurationPushes: (@Sendable (ConfigurationPush) async -> Void)?
    /// Results of configuration pushes, published on `cfg/result` once this boot has announced itself.
    private var pendingResults: [ConfigurationOutcome] = []
    /// Why the last connection or attempt ended, for a rollback's reason.
    public private(set) var lastConnectionProblem: String?
    public private(set) var isConnected = false
    /// When the current connection was made, or since when there has been none.
    public private(set) var connectionChanged = Date()
    /// What the host's commands on `rdr/cmd` told the LEDs, buzzer and relays this boot.
    public internal(set) var indicators = ReaderIndicators()
    /// Events wait while a connection has not yet carried META and STATUS, so a backend always
    /// learns who the device is before it hears its tags.
    private var announced = false
    private var announcementWaiters: [CheckedContinuation<Void, Never>] = []
    /// Once set, `start` refuses: a reboot or shutdown may come before the boot's start has run.
    private var stopping = false

    /// `configurationPushes` receives what arrives on `cfg/set` when the configuration enables it.
    public init(
        settings: DeviceSettings, state: DeviceStateDirectory, options: DeviceRunOptions, outbox: Outbox,
        eventLoopGroup: any EventLoopGroup, logger: Logger, configurationPushes: (@Sendable (ConfigurationPush) async -> Void)? = nil
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
            logger.warning("emulator.extensions is off: STATUS carries no Spool and READER EVENT no EventId, whatever the command line asks")
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
        self.settings = settings
        self.clientID = identity.clientID
        self.certificateNotAfter = identity.certificateNotAfter
        self.client = try MQTTClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
        self.outbox = outbox
        self.formatter = ReaderEventFormatter(settings: settings)
        self.reporter = ReadReporter(ReadReporting(features: settings.device.features, delays: settings.device.readDelays))
        self.configurationPushes = settings.device.remoteConfiguration ? configurationPushes : nil
        self.logger = logger
        self.bootCount = try state.nextBootCount(logger: logger)
        self.publishQoS = publishQoS
        self.retainState = retainState
        self.extensions = extensions
        self.options = effectiveOptions
    }

    public nonisolated var uptime: Uptime { Uptime(bootCount: bootCount, since: bootInstant) }

    /// How the current (or last) connection came up.
    public var lastConnectTimings: MQTTConnectTimings? { get async { await client.lastConnectTimings } }

    /// Connects (or, with `retryUntilConnected`, keeps trying) and starts publishing. A device
    /// stopped before it started never connects: it would hold a session nobody ends.
    public func start(retryUntilConnected: Bool) async throws {
        guard !stopping else { throw MQTTConnectionError.shutDown }
        logger.info(
            "SpringCore \(settings.factory.constants.productName) \(settings.factory.serialNumber) booting (boot \(bootCount)); client ID \(clientID), broker \(settings.broker.host):\(settings.brokerPort)"
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
        tasks.append(Task { await self.publishEvents() })
        tasks.append(Task { await self.publishStatusPeriodically() })
        if reporter.repeatsHeldTags { tasks.append(Task { await self.reporter.repeatHeldTags { await self.record($0) } }) }
        if options.reportsSpoolMetrics { tasks.append(Task { await self.reportSpoolMetrics() }) }
    }

    /// Takes a tag event into the outbox as registers 02A0/02A1 report it; each report is
    /// published in order and counted until acknowledged.
    public nonisolated func accept(_ event: TagEvent) async {
        for report in reporter.reports(for: event) { await record(report) }
    }

    private nonisolated func record(_ report: ReadReport) async {
        GatewayMetrics.eventsRead.increment()
        // A SpringPark has no spool: what it reads while it has no broker is not sent later.
        if !extensions, !(await client.isConnected) {
            droppedWhileDisconnected.increment()
            logger.warning(
                "tag read while not connected: dropped, as a real device does with emulator.extensions off (\(droppedWhileDisconnected.value) so far)")
            return
        }
        let uptime = self.uptime
        let (event, move) = (report.event, report.includesMove)
        if options.eventIDInPayload {
            await outbox.append(topic: settings.topics.readerEvent) {
                formatter.payload(for: event, uptime: uptime, includesMove: move, eventID: $0)
            }
        } else {
            await outbox.append(topic: settings.topics.readerEvent, payload: formatter.payload(for: event, uptime: uptime, includesMove: move))
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
        if !forReboot { outbox.close() }
        let grace = Duration.seconds(Int(max(settings.clientOptions.responseTimeout, 1)))
        if await client.isConnected {
            // Events already read get the response timeout to reach the broker before we say goodbye.
            let outbox = self.outbox
            if !forReboot, (try? await withDeadline(grace, { await outbox.drained() })) == nil, outbox.depth > 0 {
                logger.warning("\(outbox.depth) events were not acknowledged before shutdown")
            }
            let client = self.client
            let topic = settings.topics.status
            let payload = ByteBuffer(string: status(.offline).json)
            let (qos, retain) = (publishQoS, retainState)
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

    private func followConnection() async {
        for await event in client.connectionEvents {
            switch event {
            case .connected:
                (isConnected, connectionChanged) = (true, Date())
                GatewayMetrics.connects.increment()
                GatewayMetrics.connectedDevices.increment()
                await announce()
                await publishResults()
                openAnnouncementGate()
            case .disconnected(let error):
                GatewayMetrics.connectionError(error)
                noteDisconnected()
                announced = false
                lastConnectionProblem = "\(error)"
            }
        }
        // The client has shut down: let the publisher run into its errors instead of waiting.
        openAnnouncementGate()
    }

    private func noteDisconnected() {
        guard isConnected else { return }
        (isConnected, connectionChanged) = (false, Date())
        GatewayMetrics.connectedDevices.decrement()
    }

    private func openAnnouncementGate() {
        announced = true
        for waiter in announcementWaiters { waiter.resume() }
        announcementWaiters.removeAll()
    }

    private func waitUntilAnnounced() async {
        if !announced { await withCheckedContinuation { announcementWaiters.append($0) } }
    }

    private func announce() async {
        let configuration = settings.configuration
        let ipAddress = await client.localAddress ?? ""
        let meta = MetaMessage(
            constants: settings.factory.constants, serialNumber: settings.factory.serialNumber,
            configID: MetaMessage.configID(from: configuration[.configID] ?? []), inventory: configuration.string(.inventory),
            location: configuration.string(.location), physicalAddress: physicalAddress(ipAddress: ipAddress),
            ipAddress: ipAddress, outputFormat: settings.outputFormat, open: MetaMessage.isOpen(settings.device))
        await sendState(topic: settings.topics.meta, json: meta.json)
        await sendState(topic: settings.topics.status, json: status(.ready).json)
        let qos = MQTTQoS(rawValue: min(settings.clientOptions.subscribeQoS, 2))!
        var filters = [settings.topics.readerCommand]
        if configurationPushes != nil { filters.append(settings.topics.configurationSet) }
        do {
            let codes = try await client.subscribe(filters.map { MQTTSubscription(topicFilter: $0, qos: qos) })
            for (filter, code) in zip(filters, codes) where code.isFailure {
                logger.error("the broker refused our subscription to \(filter): \(code)")
            }
        } catch {
            logger.warning("subscribing to \(filters.joined(separator: ", ")) failed: \(error)")
        }
    }

    private func sendState(topic: String, json: String, retain: Bool? = nil) async {
        let logger = self.logger
        do {
            try await client.send([
                OutboundMessage(topic: topic, payload: ByteBuffer(string: json), qos: publishQoS, retain: retain ?? retainState) { result in
                    if case .success(let ack) = result, ack.reasonCode.isFailure {
                        logger.error("the broker refused \(topic): \(ack.reasonCode)")
                    }
                }
            ])
        } catch {
            logger.warning("could not publish \(topic): \(error)")
        }
    }

    /// Moves events from the outbox to the client in batches; each is acknowledged in the
    /// outbox when the broker answers, or dropped (and logged) when the client shuts down.
    private func publishEvents() async {
        let outbox = self.outbox
        let logger = self.logger
        let rejected = self.rejectedEvents
        let eventAcknowledged = options.eventAcknowledged
        let extensions = self.extensions
        // Every spooled event is a reader event of this device: it goes out under the topic the
        // device has now, so events held back by a wrong 028E/028F (refused, or waiting across
        // the push that fixed it) reach the topic the broker allows once sent again.
        let topic = settings.topics.readerEvent
        let whereRefusedEventsGo =
            outbox.isDurable
            ? "it is held in the spool until `smartreader spool retry` or `smartreader spool discard`"
            : "it is not delivered, and without a spool (replay) no copy is kept"
        while true {
            // Without a connection events stay in the spool, where its limits and policy apply,
            // rather than piling up in the client's window.
            await waitUntilAnnounced()
            let batch = await outbox.nextBatch(limit: 256)
            guard !batch.isEmpty else { return }
            guard announced else {
                // The connection went while this publisher waited for events.
                outbox.giveBack(batch)
                continue
            }
            let handedOver = ContinuousClock.now
            let messages = batch.map { event in
                // The spool's id, stable across reconnects and restarts, lets a consumer drop a duplicate (MQTT 5 only).
                OutboundMessage(
                    topic: topic, payload: ByteBuffer(bytes: event.payload), qos: publishQoS,
                    properties: extensions ? [.userProperty(name: "event-id", value: String(event.id))] : []
                ) { result in
                    switch result {
                    case .success(let ack) where ack.reasonCode.isFailure:
                        // Not delivered: held in the spool for the operator, not deleted.
                        logger.error(
                            "the broker refused event \(event.id) on \(topic): \(ack.reasonCode); \(whereRefusedEventsGo)")
                        rejected.increment()
                        GatewayMetrics.eventsRefused.increment()
                        outbox.refuse(event)
                        return
                    case .failure(let error):
                        if !outbox.giveBack([event]) { logger.error("event \(event.id) not published: \(error)") }
                        return
                    case .success:
                        GatewayMetrics.eventsAcknowledged.increment()
                        eventAcknowledged?(.now - handedOver)
                    }
                    outbox.acknowledge(event.id)
                }
            }
            do {
                try await client.send(messages)
                GatewayMetrics.eventsPublished.increment(by: Int64(messages.count))
            } catch {
                if !outbox.giveBack(batch) { logger.error("\(batch.count) events not published: \(error)") }
            }
        }
    }

    private nonisolated func status(_ state: StatusMessage.State) -> StatusMessage {
        guard options.statusReportsSpool else { return StatusMessage(state: state, uptime: uptime) }
        let report = outbox.report
        return StatusMessage(
            state: state, uptime: uptime,
            spool: SpoolStatusField(
                depth: report.depth, dropped: report.losses.dropped, expired: report.losses.expired, oldestAge: report.oldestAge(),
                refused: report.refused, discarded: report.losses.discarded))
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
                await sendState(topic: settings.topics.status, json: status(.ready).json)
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

    /// META's PhysAddress, 12 hex digits as a SpringPark sends it: the MAC of the interface the
    /// broker connection leaves from; without one (loopback), a locally administered address
    /// derived from the serial number, stable and never a real card's.
    private nonisolated func physicalAddress(ipAddress: String) -> String {
        if let address = InterfaceHardwareAddress.of(ipAddress: ipAddress) { return address }
        let serial = Hex.decode(settings.factory.serialNumber) ?? []
        return Hex.encode([0x02, 0x00] + Array(serial.suffix(4)))
    }
}

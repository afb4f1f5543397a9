import Foundation
import Gateway
import HostSystem
import Logging
import MQTT
import NIOCore
import Spool
import Synchronization

/// `smartreader simulate`: a fleet of emulated devices in one process on one event loop group,
/// each a full `SmartReaderDevice` (its own key, certificate, client ID = CN, META, STATUS, Last
/// Will and events) with an in-memory outbox. Devices connect at the plan's connect rate; once
/// all have tried (and, with a common start, at that moment), events are spread over the
/// connected ones at this shard's share of the plan's rate for its duration; then every device
/// says offline and disconnects.
public enum FleetSimulation {
    public enum Phase: String, Sendable {
        case connecting, waiting, publishing, draining, stopping
    }

    public static func run(
        plan: FleetPlan, states: [DeviceStateDirectory], spoolMetrics: Bool = false, stop: FleetStopRequest = FleetStopRequest(),
        eventLoopGroup: any EventLoopGroup, logger: Logger,
        progress: @escaping @Sendable (Phase, FleetStatistics.Snapshot) -> Void
    ) async throws -> FleetReport {
        let statistics = FleetStatistics()
        var options = DeviceRunOptions(brokerOverride: plan.broker, protocolVersion: plan.protocolVersion)
        options.eventAcknowledged = { statistics.acknowledged(after: $0) }
        options.reportsSpoolMetrics = spoolMetrics
        let residentBefore = ProcessResources.residentKiB()
        var devices: [SmartReaderDevice] = []
        for state in states {
            let settings = try DeviceSettings(state: state, brokerOverride: plan.broker)
            var deviceOptions = options
            deviceOptions.connectionLost = connectionLost(
                device: settings.factory.serialNumber, statistics: statistics, stop: stop, logger: logger)
            devices.append(
                try SmartReaderDevice(
                    settings: settings, state: state, options: deviceOptions, outbox: Outbox(logger: logger),
                    eventLoopGroup: eventLoopGroup,
                    logger: logger))
        }
        let phase = PhaseBox()
        let reporter = Task { [devices] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                var snapshot = statistics.snapshot
                snapshot.online = devices.count { $0.isOnline }
                progress(phase.value, snapshot)
            }
        }
        defer { reporter.cancel() }

        let rampStartedAt = Date().timeIntervalSince1970
        let rampStart = ContinuousClock.now
        let connected = await connect(devices, plan: plan, statistics: statistics, stop: stop)
        let connectTime = ContinuousClock.now - rampStart

        var eventPhase = plan.duration
        if let startAt = plan.eventsStartAt {
            phase.value = .waiting
            if try await !waitUntil(startAt, stop: stop) { statistics.error("connectedAfterStartAt") }
            // A shard that connected late ends with the others, at the start plus the duration: the
            // fleet's event phase is one window, not as many as there are late shards.
            eventPhase = max(.zero, plan.duration - .milliseconds(Int(max(0, -startAt.timeIntervalSinceNow) * 1000)))
        }
        phase.value = .publishing
        let eventsStartedAt = Date().timeIntervalSince1970
        let eventStart = ContinuousClock.now
        let cpuBefore = ProcessResources.cpuSeconds()
        let eventsPerSecond = plan.shardEventsPerSecond
        if !connected.isEmpty && eventsPerSecond > 0 {
            var sequence = 0
            while ContinuousClock.now - eventStart < eventPhase && !stop.isRequested {
                let due = Int(eventsPerSecond * Double((ContinuousClock.now - eventStart) / .milliseconds(1)) / 1000)
                while sequence < due {
                    await connected[sequence % connected.count].accept(plan.event(sequence))
                    statistics.given()
                    sequence += 1
                }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        // A stop from now on shortens nothing: the events have all been given.
        let stopRequest = stop.current
        phase.value = .draining
        let drainLimit = Duration.seconds(10)
        let drained: Void? = try await withDeadline(drainLimit) {
            for device in connected { await device.drained() }
        }
        if drained == nil { statistics.error("notAcknowledgedWithin\(drainLimit)") }
        let eventTime = ContinuousClock.now - eventStart
        let eventPhaseCPUSeconds = ProcessResources.cpuSeconds() - cpuBefore
        // Before the devices go: what they hold at the end of the run.
        let residentAfter = ProcessResources.residentKiB()

        phase.value = .stopping
        for device in devices where device.eventsRejectedByBroker > 0 {
            statistics.error("publishRefusedByBroker", count: device.eventsRejectedByBroker)
        }
        await withTaskGroup(of: Void.self) { group in
            for device in devices { group.addTask { await device.stop() } }
        }
        func seconds(_ duration: Duration) -> Double { Double(duration / .microseconds(1)) / 1e6 }
        let window = FleetReport.Window(
            connectStartedAt: rampStartedAt, connectEndedAt: rampStartedAt + seconds(connectTime), eventsStartedAt: eventsStartedAt,
            eventsEndedAt: eventsStartedAt + seconds(eventTime))
        return FleetReport(
            plan: plan, statistics: statistics.snapshot, window: window, residentKiBBefore: residentBefore, residentKiBAfter: residentAfter,
            eventPhaseCPUSeconds: eventPhaseCPUSeconds, stoppedEarly: stopRequest.map { earlyStop($0, window: window) })
    }

    /// What a device's lost connection tells: counted by kind in the report, and a session taken
    /// over (`FleetSessionWatch`) stops the run: left alone, the two processes running these devices
    /// would take each other's sessions on every reconnection, for the whole run.
    private static func connectionLost(device: String, statistics: FleetStatistics, stop: FleetStopRequest, logger: Logger)
        -> @Sendable (any Error) -> Void
    {
        let watch = FleetSessionWatch()
        return { error in
            if case .disconnectedByBroker(let code, _)? = error as? MQTTConnectionError, code == .sessionTakenOver {
                statistics.error("connectionLost.sessionTakenOver")
            } else {
                statistics.error("connectionLost." + GatewayMetrics.kind(of: error))
            }
            if watch.isTakenOver(after: error), stop.request(.sessionTakenOver(clientID: device)) {
                logger.error("device \(device)'s session was taken over by another client with its client ID: stopping early")
            }
        }
    }

    /// The phase a stop cut short, told from when it came.
    private static func earlyStop(_ request: FleetStopRequest.Request, window: FleetReport.Window) -> FleetEarlyStop {
        let at = request.at.timeIntervalSince1970
        let phase = at < window.connectEndedAt ? Phase.connecting : at < window.eventsStartedAt ? .waiting : .publishing
        switch request.reason {
        case .signal(let name): return FleetEarlyStop(reason: name, phase: phase.rawValue, at: at)
        case .sessionTakenOver(let clientID):
            return FleetEarlyStop(reason: "sessionTakenOver", phase: phase.rawValue, at: at, clientID: clientID)
        }
    }

    /// Sleeps until the wall clock reads `time`, in short steps so that a stop request is heard;
    /// false when that time had already passed.
    private static func waitUntil(_ time: Date, stop: FleetStopRequest) async throws -> Bool {
        guard time.timeIntervalSinceNow > 0 else { return false }
        while !stop.isRequested {
            let remaining = time.timeIntervalSinceNow
            if remaining <= 0 { break }
            try await Task.sleep(for: .microseconds(Int(min(remaining, 0.2) * 1e6)), tolerance: .microseconds(100))
        }
        return true
    }

    /// Starts each device at its turn in the ramp; returns those that connected.
    private static func connect(_ devices: [SmartReaderDevice], plan: FleetPlan, statistics: FleetStatistics, stop: FleetStopRequest)
        async -> [SmartReaderDevice]
    {
        let start = ContinuousClock.now
        return await withTaskGroup(of: SmartReaderDevice?.self) { group in
            for (index, device) in devices.enumerated() where !stop.isRequested {
                if plan.connectsPerSecond > 0 {
                    try? await Task.sleep(until: start + .milliseconds(Int(Double(index) * 1000 / plan.connectsPerSecond)))
                }
                group.addTask {
                    do {
                        try await device.start(retryUntilConnected: false)
                        if let timings = await device.lastConnectTimings {
                            statistics.connected(tlsHandshake: timings.tlsHandshake, connAck: timings.connAck)
                        }
                        return device
                    } catch {
                        statistics.error(GatewayMetrics.kind(of: error))
                        return nil
                    }
                }
            }
            var connected: [SmartReaderDevice] = []
            for await device in group { if let device { connected.append(device) } }
            return connected
        }
    }
}

/// Ends a simulation early (a signal, a session taken over): devices not yet started stay
/// unstarted, the events stop, and the report covers what ran and says why it stopped.
public final class FleetStopRequest: Sendable {
    public enum Reason: Sendable, Equatable {
        /// SIGINT or SIGTERM, by name.
        case signal(String)
        case sessionTakenOver(clientID: String)
    }

    public struct Request: Sendable, Equatable {
        public var reason: Reason
        public var at: Date
    }

    private let requested = Mutex<Request?>(nil)

    public init() {}

    /// The first request is the one kept; true when this was it.
    @discardableResult
    public func request(_ reason: Reason) -> Bool {
        requested.withLock { request in
            guard request == nil else { return false }
            request = Request(reason: reason, at: Date())
            return true
        }
    }

    public var current: Request? { requested.withLock { $0 } }
    public var isRequested: Bool { current != nil }
}

/// The phase, shared with the progress reporter.
private final class PhaseBox: Sendable {
    private let phase = Mutex(FleetSimulation.Phase.connecting)
    var value: FleetSimulation.Phase {
        get { phase.withLock { $0 } }
        set { phase.withLock { $0 = newValue } }
    }
}

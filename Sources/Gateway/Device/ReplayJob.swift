import HostSystem
import Logging
import NIOCore
import Spool
import TagReaders

public struct ReplaySummary: Sendable {
    public var events: Int
    public var elapsed: Duration

    public var eventsPerSecond: Double {
        let total = elapsed / .seconds(1)
        return total > 0 ? Double(events) / total : 0
    }
}

public enum ReplayError: Error, Sendable, CustomStringConvertible {
    case refusedByBroker(count: Int, of: Int)

    public var description: String {
        switch self {
        case .refusedByBroker(let count, let total):
            "\(count) of \(total) events were refused (see the errors above for why: the broker's ACL for this device's topics, or an event over the broker's Maximum Packet Size)"
        }
    }
}

/// `smartreader replay`: one device, one trace, through the same pipeline a live reader uses;
/// returns once every event is acknowledged and the device has disconnected cleanly.
public enum ReplayJob {
    /// With `spool`, events go through the device's durable spool as the daemon's do.
    public static func run(
        trace: Trace, speed: Double?, state: DeviceStateDirectory, options: DeviceRunOptions, spool: Bool = false,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) async throws -> ReplaySummary {
        try await run(
            events: TraceReplaySource(trace: trace, speed: speed), count: trace.entries.count, state: state, options: options, spool: spool,
            eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// `count` events from `events`, for a source that is not a trace held in memory (the benchmark's).
    public static func run(
        events: TagSource, count: Int, state: DeviceStateDirectory, options: DeviceRunOptions, spool: Bool = false,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) async throws -> ReplaySummary {
        // A daemon on the same state directory would lose its MQTT session to this replay.
        let lock = try DeviceLock(state: state)
        defer { withExtendedLifetime(lock) {} }
        try StateDirectoryUpgrade.run(state, logger: logger)
        let outbox =
            spool
            ? try Outbox(store: SpoolStore(path: state.spoolPath), limits: options.spoolLimits, logger: logger)
            : Outbox(limits: options.spoolLimits, logger: logger)
        let device = try SmartReaderDevice(
            settings: DeviceSettings(state: state, brokerOverride: options.brokerOverride), state: state, options: options,
            outbox: outbox, eventLoopGroup: eventLoopGroup, logger: logger)
        try await device.start(retryUntilConnected: options.retryUntilConnected)
        let started = ContinuousClock.now
        // Stopped (Ctrl-C in the demo or a benchmark): no wait for room in a full outbox (a broker
        // that stopped answering), nor for what is in flight; the device says offline and goes, and
        // a spool keeps what was not acknowledged for the next start.
        await withTaskCancellationHandler {
            for await event in events {
                await device.accept(event)
            }
        } onCancel: {
            outbox.close()
        }
        _ = try? await unlessCancelled { await device.drained() }
        if Task.isCancelled {
            await device.stop()
            throw CancellationError()
        }
        let elapsed = ContinuousClock.now - started
        let rejected = device.eventsRejectedByBroker
        await device.stop()
        guard rejected == 0 else { throw ReplayError.refusedByBroker(count: rejected, of: count) }
        return ReplaySummary(events: count, elapsed: elapsed)
    }
}

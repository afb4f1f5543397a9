import Logging
import NIOCore
import ServiceLifecycle
import TagReaders

/// `smartreader run`: the device as a long-running service. It connects (retrying until the
/// broker answers), feeds it from the trace if one is given, and on SIGTERM or SIGINT publishes
/// STATUS `offline` and disconnects.
public struct DeviceService: Service {
    public var state: DeviceStateDirectory
    public var options: DeviceRunOptions
    public var trace: TraceReplaySource?
    public var eventLoopGroup: any EventLoopGroup
    public var logger: Logger

    public init(
        state: DeviceStateDirectory, options: DeviceRunOptions, trace: TraceReplaySource?, eventLoopGroup: any EventLoopGroup,
        logger: Logger
    ) {
        self.state = state
        self.options = options
        self.trace = trace
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    public func run() async throws {
        let device = try SmartReaderDevice(state: state, options: options, eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            try await cancelWhenGracefulShutdown {
                try await device.start(retryUntilConnected: true)
            }
        } catch {
            await device.stop()
            if Task.isCancelled || Task.isShuttingDownGracefully { return }
            throw error
        }
        let feeding = Task { [trace, logger] in
            guard let trace else { return }
            for await event in trace { await device.accept(event) }
            logger.info("trace finished; still connected until SIGTERM")
        }
        try? await gracefulShutdown()
        feeding.cancel()
        await device.stop()
    }

    /// Runs the service until SIGTERM or SIGINT.
    public static func runUntilSignalled(_ service: DeviceService) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: service.logger))
        try await group.run()
    }
}

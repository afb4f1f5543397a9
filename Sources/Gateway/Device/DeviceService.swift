import Logging
import NIOCore
import ServiceLifecycle
import TagReaders
import UnixSignals

/// `smartreader run`: the device as a long-running service. It connects (retrying until the
/// broker answers), feeds it from its tag source (a live reader or a trace), takes configuration pushes from
/// its control socket, its inbox, `cfg/set` and SIGHUP, and on SIGTERM or SIGINT publishes STATUS
/// `offline` and disconnects.
public struct DeviceService: Service {
    public var state: DeviceStateDirectory
    public var options: DeviceRunOptions
    public var rollbackAfter: Duration
    public var source: TagSource?
    public var eventLoopGroup: any EventLoopGroup
    public var logger: Logger

    public init(
        state: DeviceStateDirectory, options: DeviceRunOptions, rollbackAfter: Duration = .seconds(60), source: TagSource?,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) {
        self.state = state
        self.options = options
        self.rollbackAfter = rollbackAfter
        self.source = source
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
    }

    public func run() async throws {
        // Two devices on one state directory would fight over one client ID at the broker.
        let lock = try DeviceLock(state: state)
        defer { withExtendedLifetime(lock) {} }
        // Before the socket and the inbox take anything in: each boot checks again.
        try StateDirectoryTrust(state: state).check()
        try StateDirectoryUpgrade.run(state, logger: logger)
        let remoteConfiguration = RemoteConfiguration()
        let controller = try DeviceController(
            state: state, options: options, rollbackAfter: rollbackAfter, remoteConfiguration: remoteConfiguration,
            eventLoopGroup: eventLoopGroup, logger: logger)
        let (state, source, logger, eventLoopGroup) = (self.state, self.source, self.logger, self.eventLoopGroup)
        // The control socket, the inbox and SIGHUP work from the start, so that `status` can say
        // why the broker is not reached yet and a push can correct its address; `cfg/set` once
        // the broker is.
        let failure: (any Error)? = await withTaskGroup(of: (any Error)?.self) { group in
            group.addTask {
                do {
                    try await ControlSocket.serve(state: state, controller: controller, eventLoopGroup: eventLoopGroup, logger: logger)
                } catch {
                    return error
                }
                return nil
            }
            group.addTask {
                do { try await ConfigurationInbox(state: state).run(controller: controller, logger: logger) } catch {
                    logger.error("inbox \(state.file("inbox")) unusable: \(error)")
                }
                return nil
            }
            group.addTask {
                await remoteConfiguration.run(controller: controller)
                return nil
            }
            group.addTask {
                // SIGHUPs that arrive while a reload runs make one more reload, not one each.
                let (reloads, requestReload) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
                async let signals: Void = {
                    for await _ in await UnixSignalsSequence(trapping: .sighup) { requestReload.yield() }
                    requestReload.finish()
                }()
                for await _ in reloads {
                    logger.notice("SIGHUP: reloading \(state.configurationPath)")
                    _ = await controller.reload()
                }
                await signals
                return nil
            }
            group.addTask {
                do { try await controller.start() } catch { return Task.isCancelled ? nil : error }
                return nil
            }
            group.addTask {
                // Tags are read from the start: while the broker is away they wait in the spool.
                guard let source else { return nil }
                for await event in source { await controller.accept(event) }
                logger.info("the tag source has ended; still connected until SIGTERM")
                return nil
            }
            group.addTask {
                try? await gracefulShutdown()
                return nil
            }
            // The first task to end with an error, or graceful shutdown, ends the service.
            var failure: (any Error)?
            while let result = await group.next() {
                if let result {
                    failure = result
                    break
                }
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
            }
            // Before cancelling: a trial under way holds its task until it ends, and cancellation alone does not end it.
            await controller.beginShutdown()
            group.cancelAll()
            return failure
        }
        await controller.stop()
        if let failure { throw failure }
    }

    /// Runs the service until SIGTERM or SIGINT.
    public static func runUntilSignalled(_ service: DeviceService) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: service)], gracefulShutdownSignals: [.sigterm, .sigint], logger: service.logger))
        try await group.run()
    }
}

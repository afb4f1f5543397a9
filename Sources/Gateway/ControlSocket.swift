import Foundation
import Logging
import NIOCore
import NIOPosix

/// The daemon's local control socket, `control.sock` in the state directory, owner-only: a
/// request line in, the outcome line out. `smartreader config push` is its client.
public enum ControlSocket {
    static let maximumLine = 4 << 20

    public static func path(in state: DeviceStateDirectory) -> String { state.file("control.sock") }

    /// Both ends of a control connection: JSON lines in, byte buffers out.
    @Sendable
    private static func lineChannel(_ channel: any Channel) -> EventLoopFuture<NIOAsyncChannel<ByteBuffer, ByteBuffer>> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maximumLength: maximumLine)))
            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
        }
    }

    /// Serves requests until the task is cancelled. The caller has checked that no other daemon
    /// answers on the socket: a stale socket file is replaced.
    public static func serve(
        state: DeviceStateDirectory, controller: DeviceController, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) async throws {
        let socketPath = path(in: state)
        let server = try await ServerBootstrap(group: eventLoopGroup)
            .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true, childChannelInitializer: lineChannel)
        guard chmod(socketPath, 0o600) == 0 else {
            try? await server.channel.close()
            throw GatewayError.stateDirectory(path: state.path, reason: "cannot restrict \(socketPath) to its owner")
        }
        logger.info("control socket \(socketPath)")
        defer { unlink(socketPath) }
        try await withTaskCancellationHandler {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in connections {
                        group.addTask { await handle(connection, controller: controller, logger: logger) }
                    }
                }
            }
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private static func handle(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, controller: DeviceController, logger: Logger) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await line in inbound {
                    let answer: String
                    switch Result(catching: { () throws(ControlProtocolError) in try ControlRequest(line: line.readableBytesView) }) {
                    case .success(.push(let content, let source, let loadDefaults, let reset)):
                        answer = await controller.apply(
                            ConfigurationPush(content: content, source: source, loadDefaults: loadDefaults, reset: reset)
                        ).json
                    case .success(.reload):
                        answer = await controller.reload().json
                    case .success(.health):
                        answer = await controller.health().json
                    case .failure(let error):
                        answer = ConfigurationOutcome(result: .rejected, source: "control socket", reason: error.description).json
                    }
                    try await outbound.write(ByteBuffer(string: answer + "\n"))
                }
            }
        } catch {
            logger.warning("control connection: \(error)")
        }
    }

    /// Whether a daemon is listening on `socketPath`.
    public static func isAnswering(socketPath: String, eventLoopGroup: any EventLoopGroup) async -> Bool {
        guard let connection = try? await connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup) else { return false }
        try? await connection.channel.close()
        return true
    }

    /// Sends one request to the daemon and waits for its outcome (a reboot takes as long as the
    /// device needs to reconnect).
    public static func request(_ request: ControlRequest, socketPath: String, eventLoopGroup: any EventLoopGroup) async throws
        -> ConfigurationOutcome
    {
        let line = try await exchange(request, socketPath: socketPath, eventLoopGroup: eventLoopGroup)
        guard let outcome = ConfigurationOutcome(json: line.readableBytesView) else {
            throw ControlProtocolError.malformed("the daemon's answer is not an outcome: \(String(buffer: line))")
        }
        return outcome
    }

    /// Asks the daemon how the device is doing.
    public static func health(socketPath: String, eventLoopGroup: any EventLoopGroup) async throws -> DeviceHealth {
        let line = try await exchange(.health, socketPath: socketPath, eventLoopGroup: eventLoopGroup)
        do {
            return try DeviceHealth.decode(json: line.readableBytesView)
        } catch {
            throw ControlProtocolError.malformed("the daemon's answer is not a health report (\(error)): \(String(buffer: line))")
        }
    }

    private static func exchange(_ request: ControlRequest, socketPath: String, eventLoopGroup: any EventLoopGroup) async throws
        -> ByteBuffer
    {
        let connection = try await connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup)
        return try await connection.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request.line))
            for try await line in inbound { return line }
            throw ControlProtocolError.noAnswer(socket: socketPath)
        }
    }

    private static func connect(socketPath: String, eventLoopGroup: any EventLoopGroup) async throws -> NIOAsyncChannel<
        ByteBuffer, ByteBuffer
    > {
        do {
            return try await ClientBootstrap(group: eventLoopGroup).connect(
                unixDomainSocketPath: socketPath, channelInitializer: lineChannel)
        } catch {
            throw ControlProtocolError.noDaemon(socket: socketPath)
        }
    }
}

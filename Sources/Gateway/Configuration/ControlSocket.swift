import Foundation
import HostSystem
import Logging
import NIOCore
import NIOPosix
import SpringCore

/// The daemon's local control socket, `control.sock` in the state directory, owner-only: a
/// request line in, the outcome line out. `smartreader config push` is its client.
public enum ControlSocket {
    /// A push of the largest CONFIG-DATA file, base64 in its JSON envelope, with room for a long `Source`.
    static let maximumLine = (ConfigData.maximumFileSize + 2) / 3 * 4 + 64 * 1024

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
                do {
                    try await answerRequests(inbound, outbound, controller: controller)
                } catch let error as ControlProtocolError {
                    // The line decoder's refusal of an over-long request, answered like any refused request.
                    let refusal = ConfigurationOutcome(result: .rejected, source: "control socket", reason: error.description)
                    try await outbound.write(ByteBuffer(string: refusal.json + "\n"))
                }
            }
        } catch {
            logger.warning("control connection: \(error)")
        }
    }

    /// Answers each request line in turn, until the client closes.
    private static func answerRequests(
        _ inbound: NIOAsyncChannelInboundStream<ByteBuffer>, _ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        controller: DeviceController
    ) async throws {
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
            case .success(.retryRefused):
                answer = SpoolActionAnswer(events: await controller.retryRefused()).json
            case .success(.discardRefused):
                answer = SpoolActionAnswer(events: await controller.discardRefused()).json
            case .failure(let error):
                answer = ConfigurationOutcome(result: .rejected, source: "control socket", reason: error.description).json
            }
            try await outbound.write(ByteBuffer(string: answer + "\n"))
        }
    }

    /// Whether a daemon is listening on `socketPath`.
    public static func isAnswering(socketPath: String, eventLoopGroup: any EventLoopGroup) async -> Bool {
        guard let connection = try? await connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup) else { return false }
        try? await connection.channel.close()
        return true
    }

    /// How long a client waits for the daemon to accept its connection.
    static let connectTimeout = TimeAmount.seconds(5)
    /// How long `status` waits for the health report: the daemon answers it at once.
    public static let healthTimeout = Duration.seconds(5)
    /// How long a push or reload waits by default: longer than the daemon's default rollback
    /// window (60 s) plus the reboot back to the last known good configuration.
    public static let pushTimeout = Duration.seconds(180)

    /// Sends one request to the daemon and waits for its outcome, up to `timeout` (a reboot takes
    /// as long as the device needs to reconnect).
    public static func request(
        _ request: ControlRequest, socketPath: String, eventLoopGroup: any EventLoopGroup, timeout: Duration = pushTimeout
    ) async throws -> ConfigurationOutcome {
        let line = try await exchange(request, socketPath: socketPath, eventLoopGroup: eventLoopGroup, timeout: timeout)
        guard let outcome = ConfigurationOutcome(json: line.readableBytesView) else {
            throw ControlProtocolError.malformed("the daemon's answer is not an outcome: \(String(buffer: line))")
        }
        return outcome
    }

    /// Asks the daemon how the device is doing.
    public static func health(socketPath: String, eventLoopGroup: any EventLoopGroup, timeout: Duration = healthTimeout) async throws
        -> DeviceHealth
    {
        let line = try await exchange(.health, socketPath: socketPath, eventLoopGroup: eventLoopGroup, timeout: timeout)
        do {
            return try DeviceHealth.decode(json: line.readableBytesView)
        } catch {
            throw ControlProtocolError.malformed("the daemon's answer is not a health report (\(error)): \(String(buffer: line))")
        }
    }

    /// Asks the daemon to retry or discard the events the broker refused; returns how many it acted on.
    public static func spoolAction(_ request: ControlRequest, socketPath: String, eventLoopGroup: any EventLoopGroup) async throws -> Int {
        let line = try await exchange(request, socketPath: socketPath, eventLoopGroup: eventLoopGroup, timeout: healthTimeout)
        guard let answer = SpoolActionAnswer(json: line.readableBytesView) else {
            throw ControlProtocolError.malformed("the daemon's answer is not a spool action's: \(String(buffer: line))")
        }
        return answer.events
    }

    /// One request, one answer line, within `timeout`: a daemon that accepts and stays silent
    /// must not hold a health check or an operator forever.
    private static func exchange(_ request: ControlRequest, socketPath: String, eventLoopGroup: any EventLoopGroup, timeout: Duration)
        async throws -> ByteBuffer
    {
        let connection = try await connect(socketPath: socketPath, eventLoopGroup: eventLoopGroup)
        let answer = try await withDeadline(timeout) {
            do {
                return try await connection.executeThenClose { inbound, outbound in
                    try await outbound.write(ByteBuffer(string: request.line))
                    for try await line in inbound { return line }
                    throw ControlProtocolError.noAnswer(socket: socketPath)
                }
            } catch let error as ControlProtocolError {
                throw error
            } catch {
                // A reset or a broken pipe says no more than a close does, in words a user cannot act on.
                throw ControlProtocolError.noAnswer(socket: socketPath)
            }
        }
        guard let answer else {
            // Closing ends the exchange left waiting.
            try? await connection.channel.close()
            throw ControlProtocolError.answerTimedOut(
                socket: socketPath, request: request.name, seconds: Int(timeout.components.seconds))
        }
        return answer
    }

    private static func connect(socketPath: String, eventLoopGroup: any EventLoopGroup) async throws -> NIOAsyncChannel<
        ByteBuffer, ByteBuffer
    > {
        do {
            return try await ClientBootstrap(group: eventLoopGroup).connectTimeout(connectTimeout).connect(
                unixDomainSocketPath: socketPath, channelInitializer: lineChannel)
        } catch {
            throw ControlProtocolError.noDaemon(socket: socketPath)
        }
    }
}

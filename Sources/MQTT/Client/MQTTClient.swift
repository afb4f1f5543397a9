import Logging
import NIOCore
import NIOPosix
import NIOSSL

public enum MQTTConnectionEvent: Sendable {
    case connected(ConnAckPacket)
    case disconnected(any Error)
}

public struct MQTTInboundMessage: Sendable {
    public var topic: String
    public var payload: ByteBuffer
    public var qos: MQTTQoS
    public var retain: Bool
    public var properties: MQTTProperties
}

public struct PublishResult: Sendable {
    public var reasonCode: MQTTReasonCode
    public var reasonString: String?
}

/// An MQTT client that keeps one connection to one broker alive: the shell, for the cold paths
/// (connecting, reconnecting, `publish`, `subscribe`, inbound messages as an async stream), over
/// the session that holds the protocol state on the event loop. QoS 1 publishes stay in flight
/// across reconnections and are sent again, flagged DUP, before anything new (MQTT 4.4), so a
/// caller's `publish` returns only once the broker has acknowledged the message. A steady stream
/// goes through a `MQTTPublishSource` instead, without crossing into this actor.
public actor MQTTClient {
    public nonisolated let configuration: MQTTClientConfiguration
    /// The configured version, until a broker turns 5.0 down and the client falls back to 3.1.1.
    public var protocolVersion: MQTTProtocolVersion { versionNegotiation.version }
    /// Why the client speaks 3.1.1 although configured for 5.0; nil while it has not fallen back.
    public var versionFallback: MQTTVersionFallback? { versionNegotiation.fallback }
    var versionNegotiation: MQTTVersionNegotiation
    public nonisolated let connectionEvents: AsyncStream<MQTTConnectionEvent>
    public nonisolated let inboundMessages: AsyncStream<MQTTInboundMessage>

    /// Every connection of this client runs on this loop, where its session lives.
    nonisolated let eventLoop: any EventLoop
    nonisolated let session: NIOLoopBoundBox<MQTTSession>
    nonisolated let link: MQTTLinkState
    nonisolated let transport: MQTTTransport
    /// nil when the connections are plain TCP, or channels given with their own security.
    let sslContext: NIOSSLContext?
    var logger: Logger
    let eventsContinuation: AsyncStream<MQTTConnectionEvent>.Continuation
    let messagesContinuation: AsyncStream<MQTTInboundMessage>.Continuation

    var channel: (any Channel)?
    /// How the current (or last) connection came up.
    public internal(set) var lastConnectTimings: MQTTConnectTimings?
    var maintenance: Task<Void, Never>?
    var firstOutcome: CheckedContinuation<ConnAckPacket, any Error>?
    var shuttingDown = false

    /// `source`, if any, is published from on every connection once its greeting is out.
    public init(
        configuration: MQTTClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
        source: (any MQTTPublishSource)? = nil
    ) throws {
        try self.init(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger, source: source, transport: .network)
    }

    /// The same, with the connections from `transport` (the package's tests give channels).
    package init(
        configuration: MQTTClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger,
        source: (any MQTTPublishSource)?, transport: MQTTTransport
    ) throws {
        self.configuration = configuration
        self.transport = transport
        self.versionNegotiation = MQTTVersionNegotiation(
            configured: configuration.protocolVersion, mayFallBack: configuration.fallsBackToVersion311)
        var logger = logger
        logger[metadataKey: "broker"] = "\(configuration.host):\(configuration.port)"
        self.logger = logger
        self.sslContext = try configuration.tls.flatMap { tls in
            guard transport.makesTLS else { return nil }
            var tls = tls
            // A dead broker never answers close_notify; waiting the default 5 s only delays the reconnect.
            tls.shutdownTimeout = min(tls.shutdownTimeout, .seconds(1))
            return try NIOSSLContext(configuration: tls)
        }
        (connectionEvents, eventsContinuation) = AsyncStream.makeStream(
            bufferingPolicy: .bufferingNewest(64))
        let (inboundMessages, messagesContinuation) = AsyncStream<MQTTInboundMessage>.makeStream(
            bufferingPolicy: .bufferingOldest(1024))
        (self.inboundMessages, self.messagesContinuation) = (inboundMessages, messagesContinuation)
        let eventLoop = eventLoopGroup.next()
        self.eventLoop = eventLoop
        let deliver: @Sendable (MQTTInboundMessage) -> Void = { [logger] message in
            if case .dropped = messagesContinuation.yield(message) {
                logger.warning("inbound message on \(message.topic) dropped: 1024 messages are waiting to be processed")
            }
        }
        // Made off its loop and handed over whole: from here on only its loop touches it.
        let made = MQTTSession(eventLoop: eventLoop, configuration: configuration, source: source, logger: logger, deliver: deliver)
        link = made.link
        session = NIOLoopBoundBox.makeBoxSendingValue(made, eventLoop: eventLoop)
        if let source {
            // Weak: the source (an outbox) holds the waker, and the session holds the source.
            source.setWaker { [weak session] in
                guard let session else { return }
                eventLoop.execute { session.value.sourceReady() }
            }
        }
    }

    /// Connects and keeps the connection up until `disconnect()`. With `retryUntilConnected`
    /// false, the first failure is thrown; afterwards every loss is retried with backoff.
    public func start(retryUntilConnected: Bool = false) async throws -> ConnAckPacket {
        precondition(maintenance == nil, "start() is called once")
        // Its owner may stop it between deciding to start and getting here (a reboot overtaking a boot).
        guard !shuttingDown else { throw MQTTConnectionError.shutDown }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                firstOutcome = continuation
                maintenance = Task { await self.maintainConnection(failFast: !retryUntilConnected) }
            }
        } onCancel: {
            Task { await self.disconnect() }
        }
    }

    public var isConnected: Bool { channel != nil }

    /// Connected as the event loop sees it: from the CONNACK, when the greeting goes out, until
    /// the connection is lost; `isConnected` follows a little later. Read without waiting.
    public nonisolated var isLinkUp: Bool { link.isUp }

    // MARK: Publishing

    /// Publishes and returns once the broker has acknowledged (QoS 1) or the packet is written (QoS 0).
    public func publish(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false,
        properties: MQTTProperties = []
    ) async throws -> PublishResult {
        try await answer(of: PublishResult.self) { answer in
            try await send([
                OutboundMessage(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties) {
                    answer.completeWith($0)
                }
            ])
        }
    }

    /// Hands messages to the session in order and returns once they are admitted; each
    /// completion runs, on the event loop, when the broker answers (QoS 1) or the packet is
    /// written (QoS 0). Without a connection, QoS 1 messages wait for the next one.
    public func send(_ messages: [OutboundMessage]) async throws {
        guard !shuttingDown else { throw MQTTConnectionError.shutDown }
        try await onSession { $0.send(messages) }
    }

    public func subscribe(_ subscriptions: [MQTTSubscription]) async throws -> [MQTTReasonCode] {
        guard !shuttingDown else { throw MQTTConnectionError.shutDown }
        return try await answer(of: SubscriptionAckPacket.self) { answer in
            try await onSession { $0.subscribe(subscriptions, promise: answer) }
        }.reasonCodes
    }

    /// The broker's answer to what `handOver` gives the session. A promise that never reaches the
    /// session (the client shut down, the loop gone) is failed here: NIO stops a debug build
    /// that drops a promise uncompleted, and a release build would leak it.
    private func answer<T: Sendable>(
        of: T.Type, _ handOver: (EventLoopPromise<T>) async throws -> Void
    ) async throws -> T {
        let answer = eventLoop.makePromise(of: T.self)
        do {
            try await handOver(answer)
        } catch {
            answer.fail(error)
            throw error
        }
        return try await Self.value(of: answer)
    }

    /// Waits for the broker's answer, or for the waiting task's cancellation (a deadline), which
    /// a future alone would not notice; an answer that comes later is ignored.
    static func value<T: Sendable>(of answer: EventLoopPromise<T>) async throws -> T {
        try await withTaskCancellationHandler {
            try await answer.futureResult.get()
        } onCancel: {
            answer.fail(CancellationError())
        }
    }

    /// Takes no more from the publish source, on this connection or a later one, and waits up
    /// to `limit` for the broker to answer what is on the wire, so that a goodbye (a last STATUS,
    /// then DISCONNECT) is the last thing the broker hears; what stays unanswered goes back to
    /// the source when the client stops.
    public func stopPublishing(waitingUpTo limit: Duration) async {
        let quiet = eventLoop.makePromise(of: Void.self)
        eventLoop.scheduleTask(in: TimeAmount(limit)) { quiet.succeed() }
        try? await onSession { $0.pauseSource(whenQuiet: quiet) }
        try? await quiet.futureResult.get()
    }

    /// Sends DISCONNECT (normal, so the broker discards the Will) and stops reconnecting.
    public func disconnect() async {
        shuttingDown = true
        // Nothing may follow the DISCONNECT; and a close with answers still arriving resets the
        // connection, which can lose the DISCONNECT and publish the Will.
        try? await onSession { $0.pauseSource(whenQuiet: nil) }
        if let channel {
            let reason = MQTTPacket.disconnect(ReasonPacket(reasonCode: .success))
            try? await channel.writeAndFlush(reason).get()
            try? await channel.close().get()
        }
        maintenance?.cancel()
        await maintenance?.value
        await failEverything(with: MQTTConnectionError.shutDown)
        finishStreams()
    }

    func finishStreams() {
        eventsContinuation.finish()
        messagesContinuation.finish()
    }

    func failEverything(with error: any Error) async {
        firstOutcome?.resume(throwing: error)
        firstOutcome = nil
        try? await onSession { $0.shutDown(error: error) }
    }

    /// Runs `body` on the session's event loop and waits for it.
    nonisolated func onSession<T: Sendable>(_ body: @escaping @Sendable (MQTTSession) -> T) async throws -> T {
        let session = self.session
        return try await eventLoop.submit { body(session.value) }.get()
    }
}

extension Duration {
    var seconds: Double { self / .seconds(1) }
}

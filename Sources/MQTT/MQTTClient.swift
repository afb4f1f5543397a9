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

/// An MQTT client that keeps one connection to one broker alive. QoS 1 publishes stay in flight
/// across reconnections and are sent again, flagged DUP, before anything new (MQTT 4.4), so a
/// caller's `publish` returns only once the broker has acknowledged the message.
public actor MQTTClient {
    public nonisolated let configuration: MQTTClientConfiguration
    /// The configured version, until a broker turns 5.0 down and the client falls back to 3.1.1.
    public var protocolVersion: MQTTProtocolVersion { versionNegotiation.version }
    /// Why the client speaks 3.1.1 although configured for 5.0; nil while it has not fallen back.
    public var versionFallback: MQTTVersionFallback? { versionNegotiation.fallback }
    var versionNegotiation: MQTTVersionNegotiation
    public nonisolated let connectionEvents: AsyncStream<MQTTConnectionEvent>
    public nonisolated let inboundMessages: AsyncStream<MQTTInboundMessage>

    let group: any EventLoopGroup
    let sslContext: NIOSSLContext?
    var logger: Logger
    let eventsContinuation: AsyncStream<MQTTConnectionEvent>.Continuation
    let messagesContinuation: AsyncStream<MQTTInboundMessage>.Continuation

    var channel: (any Channel)?
    /// How the current (or last) connection came up.
    public internal(set) var lastConnectTimings: MQTTConnectTimings?
    var brokerLimits = BrokerLimits()
    var identifiers = PacketIdentifierPool()
    var inFlight = InFlightWindow()
    var windowWaiters: [CheckedContinuation<Void, any Error>] = []
    var pendingSubscriptionAcks: [UInt16: CheckedContinuation<SubscriptionAckPacket, any Error>] = [:]
    var receivedExactlyOnce: Set<UInt16> = []
    var maintenance: Task<Void, Never>?
    var firstOutcome: CheckedContinuation<ConnAckPacket, any Error>?
    var shuttingDown = false

    public init(
        configuration: MQTTClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws {
        self.configuration = configuration
        self.versionNegotiation = MQTTVersionNegotiation(
            configured: configuration.protocolVersion, mayFallBack: configuration.fallsBackToVersion311)
        self.group = eventLoopGroup
        self.logger = logger
        self.sslContext = try configuration.tls.map { tls in
            var tls = tls
            // A dead broker never answers close_notify; waiting the default 5 s only delays the reconnect.
            tls.shutdownTimeout = min(tls.shutdownTimeout, .seconds(1))
            return try NIOSSLContext(configuration: tls)
        }
        (connectionEvents, eventsContinuation) = AsyncStream.makeStream(
            bufferingPolicy: .bufferingNewest(64))
        (inboundMessages, messagesContinuation) = AsyncStream.makeStream(
            bufferingPolicy: .bufferingOldest(1024))
        self.logger[metadataKey: "broker"] = "\(configuration.host):\(configuration.port)"
    }

    /// Connects and keeps the connection up until `disconnect()`. With `retryUntilConnected`
    /// false, the first failure is thrown; afterwards every loss is retried with backoff.
    public func start(retryUntilConnected: Bool = false) async throws -> ConnAckPacket {
        precondition(maintenance == nil, "start() is called once")
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
    public var unacknowledgedCount: Int { inFlight.count }
    /// Our address on the current connection, as the broker sees it.
    public var localAddress: String? { channel?.localAddress?.ipAddress }

    // MARK: Publishing

    /// Publishes and returns once the broker has acknowledged (QoS 1) or the packet is written (QoS 0).
    public func publish(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false,
        properties: MQTTProperties = []
    ) async throws -> PublishResult {
        let (answer, continuation) = AsyncThrowingStream<PublishResult, any Error>.makeStream()
        try await send([
            OutboundMessage(
                topic: topic, payload: payload, qos: qos, retain: retain, properties: properties
            ) { result in
                continuation.yield(with: result)
                continuation.finish()
            }
        ])
        for try await result in answer { return result }
        throw MQTTConnectionError.shutDown
    }

    /// Hands messages to the in-flight window in order and returns once all have a place; each
    /// completion runs when the broker answers (QoS 1) or the packet is written (QoS 0). What
    /// is admitted is written in one event-loop turn with one flush, and written before waiting
    /// for window space, so a publisher can keep the window full without a round trip each.
    public func send(_ messages: [OutboundMessage]) async throws {
        var batch: [MQTTPacket] = []
        var written: [PublishCompletion] = []
        for message in messages {
            var packet = try validated(message)
            if message.qos == .atMostOnce {
                guard channel != nil else { throw MQTTConnectionError.notConnected }
                batch.append(.publish(packet))
                written.append(message.completion)
                continue
            }
            if inFlight.count >= windowSize {
                write(batch)
                batch.removeAll()
                while inFlight.count >= windowSize {
                    try await withCheckedThrowingContinuation { windowWaiters.append($0) }
                    guard !shuttingDown else { throw MQTTConnectionError.shutDown }
                }
            }
            guard let identifier = identifiers.next(excluding: inFlight) else {
                throw MQTTConnectionError.rejected(.zeroPacketIdentifier)
            }
            packet.packetIdentifier = identifier
            inFlight.insert(packet, completion: message.completion)
            batch.append(.publish(packet))
        }
        write(batch)
        for completion in written { completion(.success(PublishResult(reasonCode: .success))) }
    }

    /// Messages handed to the connection and not yet acknowledged. The broker's Receive
    /// Maximum is enforced on the wire by `MQTTPublishWindowHandler`, so this may be larger:
    /// it only bounds what waits for acknowledgement here.
    var windowSize: Int { configuration.maximumInFlight }

    private func validated(_ message: OutboundMessage) throws -> PublishPacket {
        guard !shuttingDown else { throw MQTTConnectionError.shutDown }
        guard message.qos != .exactlyOnce else {
            throw MQTTConnectionError.rejected(
                .valueOutOfRange(field: "QoS 2 for outbound messages (use QoS 0 or 1)"))
        }
        guard message.topic.isValidTopicName, message.topic.utf8.count <= Int(UInt16.max) else {
            throw MQTTConnectionError.rejected(.invalidTopicName(message.topic))
        }
        let packet = PublishPacket(
            topic: message.topic, payload: message.payload, qos: message.qos,
            retain: message.retain && brokerLimits.retainAvailable,
            properties: protocolVersion == .v5 ? message.properties : [])
        if let limit = brokerLimits.maximumPacketSize {
            let size = packet.encodedSize(version: protocolVersion)
            guard size <= limit else {
                throw MQTTConnectionError.rejected(.packetTooLarge(size: size, limit: limit))
            }
        }
        return packet
    }

    /// Writes packets in one event-loop turn with one flush. Without a connection, QoS 1
    /// packets wait in the window for the next one.
    func write(_ packets: [MQTTPacket]) {
        guard !packets.isEmpty, let channel else { return }
        channel.eventLoop.execute {
            for packet in packets {
                let promise = channel.eventLoop.makePromise(of: Void.self)
                channel.write(packet, promise: promise)
                promise.futureResult.whenFailure { error in
                    // Only an encoding failure is the message's own fault; a closed channel is retried on reconnect.
                    guard let encoding = error as? MQTTEncodingError, case .publish(let publish) = packet,
                        let identifier = publish.packetIdentifier
                    else { return }
                    Task { await self.abandon(identifier, error: MQTTConnectionError.rejected(encoding)) }
                }
            }
            channel.flush()
        }
    }

    public func subscribe(_ subscriptions: [MQTTSubscription]) async throws -> [MQTTReasonCode] {
        guard let channel else { throw MQTTConnectionError.notConnected }
        guard let identifier = identifiers.next(excluding: inFlight) else {
            throw MQTTConnectionError.rejected(.zeroPacketIdentifier)
        }
        let packet = MQTTPacket.subscribe(
            SubscribePacket(packetIdentifier: identifier, subscriptions: subscriptions))
        let timeout = configuration.responseTimeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            self.failPendingSubscription(
                identifier,
                with: MQTTConnectionError.responseTimeout(packet: .subscribe, seconds: timeout.seconds))
        }
        defer { watchdog.cancel() }
        let ack = try await withCheckedThrowingContinuation { continuation in
            pendingSubscriptionAcks[identifier] = continuation
            channel.writeAndFlush(packet, promise: nil)
        }
        return ack.reasonCodes
    }

    /// Sends DISCONNECT (normal, so the broker discards the Will) and stops reconnecting.
    public func disconnect() async {
        shuttingDown = true
        if let channel {
            let reason = MQTTPacket.disconnect(ReasonPacket(reasonCode: .success))
            try? await channel.writeAndFlush(reason).get()
            try? await channel.close().get()
        }
        maintenance?.cancel()
        await maintenance?.value
        failEverything(with: MQTTConnectionError.shutDown)
        finishStreams()
    }

    func finishStreams() {
        eventsContinuation.finish()
        messagesContinuation.finish()
    }

    private func abandon(_ identifier: UInt16, error: any Error) {
        inFlight.remove(identifier)?(.failure(error))
        wakeWindowWaiter()
    }

    private func failPendingSubscription(_ identifier: UInt16, with error: any Error) {
        pendingSubscriptionAcks.removeValue(forKey: identifier)?.resume(throwing: error)
    }

    /// Wakes a sender once a quarter of the window is free rather than at every acknowledgement,
    /// so it resumes with room for a batch instead of trading one message per thread hand-off.
    func wakeWindowWaiter() {
        guard !windowWaiters.isEmpty, inFlight.count <= windowSize - max(1, windowSize / 4) else { return }
        windowWaiters.removeFirst().resume()
    }

    func failEverything(with error: any Error) {
        firstOutcome?.resume(throwing: error)
        firstOutcome = nil
        for completion in inFlight.removeAll() { completion(.failure(error)) }
        for waiter in windowWaiters { waiter.resume(throwing: error) }
        windowWaiters.removeAll()
        for (_, pending) in pendingSubscriptionAcks { pending.resume(throwing: error) }
        pendingSubscriptionAcks.removeAll()
    }
}

extension Duration {
    var seconds: Double { self / .seconds(1) }
}

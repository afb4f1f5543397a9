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
    public nonisolated let connectionEvents: AsyncStream<MQTTConnectionEvent>
    public nonisolated let inboundMessages: AsyncStream<MQTTInboundMessage>

    private let group: any EventLoopGroup
    private let sslContext: NIOSSLContext?
    private var logger: Logger
    private let eventsContinuation: AsyncStream<MQTTConnectionEvent>.Continuation
    private let messagesContinuation: AsyncStream<MQTTInboundMessage>.Continuation

    private var channel: (any Channel)?
    private var brokerLimits = BrokerLimits()
    private var identifiers = PacketIdentifierPool()
    private var inFlight = InFlightWindow()
    private var windowWaiters: [CheckedContinuation<Void, any Error>] = []
    private var pendingSubscriptionAcks: [UInt16: CheckedContinuation<SubscriptionAckPacket, any Error>] = [:]
    private var receivedExactlyOnce: Set<UInt16> = []
    private var maintenance: Task<Void, Never>?
    private var firstOutcome: CheckedContinuation<ConnAckPacket, any Error>?
    private var shuttingDown = false

    public init(configuration: MQTTClientConfiguration, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        self.sslContext = try configuration.tls.map { tls in
            var tls = tls
            // A dead broker never answers close_notify; waiting the default 5 s only delays the reconnect.
            tls.shutdownTimeout = min(tls.shutdownTimeout, .seconds(1))
            return try NIOSSLContext(configuration: tls)
        }
        (connectionEvents, eventsContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
        (inboundMessages, messagesContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(1024))
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
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool = false, properties: MQTTProperties = []
    ) async throws -> PublishResult {
        let (answer, continuation) = AsyncThrowingStream<PublishResult, any Error>.makeStream()
        try await send([OutboundMessage(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties) { result in
            continuation.yield(with: result)
            continuation.finish()
        }])
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

    private var windowSize: Int { min(configuration.maximumInFlight, brokerLimits.receiveMaximum) }

    private func validated(_ message: OutboundMessage) throws -> PublishPacket {
        guard !shuttingDown else { throw MQTTConnectionError.shutDown }
        guard message.qos != .exactlyOnce else {
            throw MQTTConnectionError.rejected(.valueOutOfRange(field: "QoS 2 for outbound messages (use QoS 0 or 1)"))
        }
        guard message.topic.isValidTopicName, message.topic.utf8.count <= Int(UInt16.max) else {
            throw MQTTConnectionError.rejected(.invalidTopicName(message.topic))
        }
        let packet = PublishPacket(
            topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain && brokerLimits.retainAvailable,
            properties: configuration.protocolVersion == .v5 ? message.properties : [])
        if let limit = brokerLimits.maximumPacketSize {
            let size = packet.encodedSize(version: configuration.protocolVersion)
            guard size <= limit else { throw MQTTConnectionError.rejected(.packetTooLarge(size: size, limit: limit)) }
        }
        return packet
    }

    /// Writes packets in one event-loop turn with one flush. Without a connection, QoS 1
    /// packets wait in the window for the next one.
    private func write(_ packets: [MQTTPacket]) {
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
        let packet = MQTTPacket.subscribe(SubscribePacket(packetIdentifier: identifier, subscriptions: subscriptions))
        let timeout = configuration.responseTimeout
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            self.failPendingSubscription(identifier, with: MQTTConnectionError.responseTimeout(packet: .subscribe, seconds: timeout.seconds))
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

    private func finishStreams() {
        eventsContinuation.finish()
        messagesContinuation.finish()
    }

    // MARK: Connection lifecycle

    private func maintainConnection(failFast: Bool) async {
        var attempt = 0
        while !shuttingDown {
            var connected = false
            do {
                try await runConnection { connected = true }
            } catch {
                let error = MQTTConnectionError.classify(error, host: configuration.host, port: configuration.port)
                // A loss after CONNACK was reported when it happened; this is a failed attempt.
                if !connected { connectionEnded(error) }
                if firstOutcome != nil, failFast {
                    shuttingDown = true
                    failEverything(with: error)
                    finishStreams()
                    return
                }
            }
            guard !shuttingDown else { return }
            if connected { attempt = 0 }
            let delay = configuration.backoff.delay(attempt: attempt)
            attempt += 1
            logger.info("reconnecting in \((delay.seconds * 10).rounded() / 10) s (attempt \(attempt))")
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    private func runConnection(onConnected: () -> Void) async throws {
        let asyncChannel = try await openChannel()
        let connectTimeout = configuration.connectTimeout
        let timer = asyncChannel.channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(connectTimeout.seconds * 1e9))) {
            asyncChannel.channel.pipeline.fireErrorCaught(MQTTConnectionError.connectTimeout(seconds: connectTimeout.seconds))
            asyncChannel.channel.close(promise: nil)
        }
        try await asyncChannel.executeThenClose { inbound in
            asyncChannel.channel.writeAndFlush(MQTTPacket.connect(configuration.connectPacket), promise: nil)
            var iterator = inbound.makeAsyncIterator()
            guard let first = try await iterator.next() else { throw MQTTConnectionError.closedByBroker }
            timer.cancel()
            guard case .connAck(let connAck) = first else {
                throw MQTTConnectionError.protocolViolation("\(first.type) before CONNACK")
            }
            guard !connAck.reasonCode.isFailure else {
                throw MQTTConnectionError.refused(connAck.reasonCode, reasonString: connAck.properties.reasonString)
            }
            established(connAck, on: asyncChannel.channel)
            onConnected()
            do {
                while let packet = try await iterator.next() {
                    try handle(packet, on: asyncChannel.channel)
                }
                throw MQTTConnectionError.closedByBroker
            } catch {
                // Reported before the channel's close completes, which can take the TLS shutdown timeout.
                connectionEnded(error)
                throw error
            }
        }
    }

    private func connectionEnded(_ error: any Error) {
        let error = MQTTConnectionError.classify(error, host: configuration.host, port: configuration.port)
        channel = nil
        guard !shuttingDown else { return }
        logger.warning("MQTT connection lost or refused: \(error)")
        eventsContinuation.yield(.disconnected(error))
    }

    private func openChannel() async throws -> NIOAsyncChannel<MQTTPacket, Never> {
        let configuration = self.configuration
        let sslContext = self.sslContext
        let serverName = configuration.tlsServerName ?? configuration.host
        let sniName = (try? SocketAddress(ipAddress: serverName, port: 0)) == nil ? serverName : nil
        let timeout = TimeAmount.nanoseconds(Int64(configuration.connectTimeout.seconds * 1e9))
        return try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sniName))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(MQTTPacketDecoder(
                        version: configuration.protocolVersion, maximumPacketSize: configuration.maximumPacketSize)))
                    try pipeline.addHandler(MessageToByteHandler(MQTTPacketEncoder(version: configuration.protocolVersion)))
                    if configuration.keepAlive > 0 {
                        try pipeline.addHandler(MQTTKeepAliveHandler(keepAlive: .seconds(Int64(configuration.keepAlive))))
                    }
                    return try NIOAsyncChannel<MQTTPacket, Never>(wrappingChannelSynchronously: channel)
                }
            }
    }

    private func established(_ connAck: ConnAckPacket, on channel: any Channel) {
        self.channel = channel
        brokerLimits = BrokerLimits(connAck)
        if let serverKeepAlive = connAck.properties.serverKeepAlive, serverKeepAlive != configuration.keepAlive {
            logger.notice("the broker imposes a keep-alive of \(serverKeepAlive) s instead of \(configuration.keepAlive) s")
        }
        logger.info("connected (MQTT \(configuration.protocolVersion), session present: \(connAck.sessionPresent))")
        let resend = inFlight.packetsInOrder()
        if !resend.isEmpty { logger.info("re-sending \(resend.count) unacknowledged messages") }
        write(resend.map { packet in
            var packet = packet
            packet.dup = true
            return .publish(packet)
        })
        eventsContinuation.yield(.connected(connAck))
        if let first = firstOutcome {
            firstOutcome = nil
            first.resume(returning: connAck)
        }
    }

    private func handle(_ packet: MQTTPacket, on channel: any Channel) throws {
        switch packet {
        case .publish(let publish):
            try receive(publish, on: channel)
        case .pubRel(let release):
            let known = receivedExactlyOnce.remove(release.packetIdentifier) != nil
            let reason: MQTTReasonCode = known || configuration.protocolVersion != .v5 ? .success : .packetIdentifierNotFound
            channel.writeAndFlush(MQTTPacket.pubComp(PublishAckPacket(packetIdentifier: release.packetIdentifier, reasonCode: reason)), promise: nil)
        case .pubAck(let ack):
            guard let completion = inFlight.remove(ack.packetIdentifier) else {
                logger.debug("ignoring PUBACK for unknown packet identifier \(ack.packetIdentifier)")
                return
            }
            completion(.success(PublishResult(reasonCode: ack.reasonCode, reasonString: ack.properties.reasonString)))
            wakeWindowWaiter()
        case .subAck(let ack), .unsubAck(let ack):
            pendingSubscriptionAcks.removeValue(forKey: ack.packetIdentifier)?.resume(returning: ack)
        case .pingResp:
            break
        case .disconnect(let reason):
            throw MQTTConnectionError.disconnectedByBroker(reason.reasonCode, reasonString: reason.properties.reasonString)
        case .connect, .connAck, .pubRec, .pubComp, .subscribe, .unsubscribe, .pingReq, .auth:
            throw MQTTConnectionError.protocolViolation("unexpected \(packet.type) from the broker")
        }
    }

    private func receive(_ publish: PublishPacket, on channel: any Channel) throws {
        let message = MQTTInboundMessage(
            topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain, properties: publish.properties)
        switch publish.qos {
        case .atMostOnce:
            deliver(message)
        case .atLeastOnce:
            deliver(message)
            channel.writeAndFlush(MQTTPacket.pubAck(PublishAckPacket(packetIdentifier: publish.packetIdentifier!)), promise: nil)
        case .exactlyOnce:
            let identifier = publish.packetIdentifier!
            // Delivered once per identifier until PUBREL frees it (MQTT 4.3.3, method B).
            if receivedExactlyOnce.insert(identifier).inserted { deliver(message) }
            channel.writeAndFlush(MQTTPacket.pubRec(PublishAckPacket(packetIdentifier: identifier)), promise: nil)
        }
    }

    private func deliver(_ message: MQTTInboundMessage) {
        if case .dropped = messagesContinuation.yield(message) {
            logger.warning("inbound message on \(message.topic) dropped: 1024 messages are waiting to be processed")
        }
    }

    private func abandon(_ identifier: UInt16, error: any Error) {
        inFlight.remove(identifier)?(.failure(error))
        wakeWindowWaiter()
    }

    private func failPendingSubscription(_ identifier: UInt16, with error: any Error) {
        pendingSubscriptionAcks.removeValue(forKey: identifier)?.resume(throwing: error)
    }

    private func wakeWindowWaiter() {
        if !windowWaiters.isEmpty { windowWaiters.removeFirst().resume() }
    }

    private func failEverything(with error: any Error) {
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
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

import Logging
import NIOCore

/// The client's MQTT session (MQTT 4.1), on its event loop: QoS 1 publishes in flight and their
/// packet identifiers, the broker's limits, SUBSCRIBE awaiting SUBACK, QoS 2 receipts, and the
/// publish source. It outlives each connection and writes on the current one through the
/// session handler's context, so that the steady path (pull from the source, frame, PUBACK,
/// answer the source, pull again) never leaves the event loop. Only its event loop touches it.
final class MQTTSession {
    private struct PendingAnswer {
        var promise: EventLoopPromise<SubscriptionAckPacket>
        var timeout: Scheduled<Void>
    }

    let eventLoop: any EventLoop
    private let maximumInFlight: Int
    private let responseTimeout: Duration
    private let source: (any MQTTPublishSource)?
    private let deliver: @Sendable (MQTTInboundMessage) -> Void
    private let logger: Logger
    let link = MQTTLinkState()

    private var version: MQTTProtocolVersion
    private var limits = BrokerLimits()
    private var window = InFlightWindow()
    private var identifiers = PacketIdentifierPool()
    private var pendingAnswers: [UInt16: PendingAnswer] = [:]
    private var receivedExactlyOnce: Set<UInt16> = []
    private var context: ChannelHandlerContext?
    private var attachedAt = NIODeadline.now()
    /// The source's messages follow the greeting of each connection.
    private var sourceOpen = false
    /// The client is stopping: the source gives no more, on this connection or the next.
    private var sourcePaused = false
    /// Succeeds once nothing is on the wire unanswered, for a client about to say goodbye.
    private var quiet: EventLoopPromise<Void>?
    private var acknowledgedTokens: [UInt64] = []
    private var wroteSinceFlush = false
    private var shutDownError: (any Error)?

    init(
        eventLoop: any EventLoop, configuration: MQTTClientConfiguration, source: (any MQTTPublishSource)?, logger: Logger,
        deliver: @escaping @Sendable (MQTTInboundMessage) -> Void
    ) {
        self.eventLoop = eventLoop
        self.maximumInFlight = max(1, min(configuration.maximumInFlight, Int(UInt16.max)))
        self.responseTimeout = configuration.responseTimeout
        self.version = configuration.protocolVersion
        self.source = source
        self.logger = logger
        self.deliver = deliver
    }

    var unacknowledgedCount: Int { window.count }

    // MARK: The connection

    /// CONNACK accepted the connection: the source's greeting goes first, so that the broker
    /// hears who we are before anything else, then what was in flight, in order and flagged DUP,
    /// then the source's messages, all in one flush.
    func attach(_ context: ChannelHandlerContext, connAck: ConnAckPacket, version: MQTTProtocolVersion) {
        self.context = context
        self.version = version
        link.set(true)
        attachedAt = .now()
        limits = BrokerLimits(connAck)
        if window.count > 0 { logger.info("sending \(window.count) unacknowledged messages again") }
        if let source {
            let greeting = source.greeting(localAddress: context.channel.localAddress)
            for message in greeting.messages.reversed() { admit(message, greeting: true) }
            if !greeting.subscriptions.isEmpty {
                let subscriptions = greeting.subscriptions
                let promise = eventLoop.makePromise(of: SubscriptionAckPacket.self)
                promise.futureResult.whenComplete { source.subscribed(subscriptions, result: $0.map(\.reasonCodes)) }
                writeSubscribe(subscriptions, promise: promise)
            }
            sourceOpen = !sourcePaused
        }
        pump()
        flush()
    }

    /// The connection is gone: everything in flight waits for the next one; SUBSCRIBE answers never come.
    func detach(error: any Error) {
        guard context != nil else { return }
        link.set(false)
        flush()
        if version != .v5, MQTTClient.isHangUp(error), NIODeadline.now() - attachedAt < .seconds(10),
            let refused = window.suspectLargestOnWire()
        {
            let reason =
                "the broker closed the connection each of the \(InFlightWindow.suspicionsToGiveUp) times this message "
                + "(\(refused.packet.encodedSize(version: version)) bytes) was the largest one sent: too large for it, or not allowed"
            logger.error("\(reason); it is not sent again")
            switch refused.owner {
            case .caller(let completion): completion(.failure(MQTTConnectionError.protocolViolation(reason)))
            case .source(let token): source?.refused(token, result: PublishResult(reasonCode: .packetTooLarge, reasonString: reason))
            }
        }
        context = nil
        sourceOpen = false
        wroteSinceFlush = false
        for superseded in window.connectionLost() {
            if case .caller(let completion) = superseded.owner { completion(.failure(error)) }
        }
        failPendingAnswers(error)
        quiet?.succeed()
        quiet = nil
    }

    /// The source gives no more messages, now or on a later connection; `quiet`, if given,
    /// succeeds once every message on the wire has been answered (or there is no connection).
    func pauseSource(whenQuiet quiet: EventLoopPromise<Void>?) {
        sourcePaused = true
        sourceOpen = false
        guard let quiet else { return }
        if context == nil || window.onWire == 0 { return quiet.succeed() }
        self.quiet?.futureResult.cascade(to: quiet)
        self.quiet = self.quiet ?? quiet
    }

    /// The client stops: callers hear `error`, the source gets back what it had in flight.
    func shutDown(error: any Error) {
        shutDownError = error
        var returned: [UInt64] = []
        for entry in window.removeAll() {
            switch entry.owner {
            case .caller(let completion): completion(.failure(error))
            case .source(let token): returned.append(token)
            }
        }
        if !returned.isEmpty { source?.returned(returned) }
        failPendingAnswers(error)
    }

    // MARK: Outbound

    /// Publishes from the client's async API: admitted at once, written as the window allows.
    func send(_ messages: [OutboundMessage]) {
        for message in messages { admit(message) }
        pump()
        flush()
    }

    /// The source has messages again after `nextMessages` came back empty.
    func sourceReady() {
        pump()
        flush()
    }

    func subscribe(_ subscriptions: [MQTTSubscription], promise: EventLoopPromise<SubscriptionAckPacket>) {
        writeSubscribe(subscriptions, promise: promise)
        flush()
    }

    /// SUBSCRIBE written, for the next flush, with its answer awaited for the response timeout.
    private func writeSubscribe(_ subscriptions: [MQTTSubscription], promise: EventLoopPromise<SubscriptionAckPacket>) {
        if let shutDownError { return promise.fail(shutDownError) }
        guard context != nil else { return promise.fail(MQTTConnectionError.notConnected) }
        guard let identifier = nextIdentifier() else { return promise.fail(MQTTConnectionError.rejected(.zeroPacketIdentifier)) }
        let session = NIOLoopBound(self, eventLoop: eventLoop)
        let seconds = responseTimeout.seconds
        let timeout = eventLoop.scheduleTask(in: TimeAmount(responseTimeout)) { () -> Void in
            session.value.pendingAnswers.removeValue(forKey: identifier)?.promise.fail(
                MQTTConnectionError.responseTimeout(packet: .subscribe, seconds: seconds))
        }
        pendingAnswers[identifier] = PendingAnswer(promise: promise, timeout: timeout)
        write(.subscribe(SubscribePacket(packetIdentifier: identifier, subscriptions: subscriptions)))
    }

    private func admit(_ message: OutboundMessage, greeting: Bool = false) {
        if let shutDownError { return message.completion(.failure(shutDownError)) }
        switch validated(
            topic: message.topic, payload: message.payload, qos: message.qos, retain: message.retain, properties: message.properties)
        {
        case .failure(let error):
            message.completion(.failure(error))
        case .success(var packet):
            if message.qos == .atMostOnce {
                guard context != nil else { return message.completion(.failure(MQTTConnectionError.notConnected)) }
                write(.publish(packet))
                return message.completion(.success(PublishResult(reasonCode: .success)))
            }
            guard let identifier = nextIdentifier() else {
                return message.completion(.failure(MQTTConnectionError.rejected(.zeroPacketIdentifier)))
            }
            packet.packetIdentifier = identifier
            window.admit(packet, owner: .caller(message.completion), resends: !greeting, first: greeting)
        }
    }

    private func admit(_ message: MQTTSourceMessage, from source: any MQTTPublishSource) {
        switch validated(topic: message.topic, payload: message.payload, qos: message.qos, retain: false, properties: message.properties) {
        case .failure(let error):
            source.refused(message.token, result: PublishResult(reasonCode: error.reasonCode, reasonString: error.description))
        case .success(var packet):
            if message.qos == .atMostOnce {
                write(.publish(packet))
                acknowledgedTokens.append(message.token)
                return
            }
            guard let identifier = nextIdentifier() else { return source.returned([message.token]) }
            packet.packetIdentifier = identifier
            window.admit(packet, owner: .source(message.token))
        }
    }

    /// Writes what the broker's Receive Maximum and our window allow: admitted packets first, in
    /// order, then the source's messages. QoS 0 takes no room, so one turn writes at most a
    /// window's worth of messages and leaves the rest for the next turn.
    private func pump() {
        guard context != nil else { return }
        let limit = windowLimit
        var pulled = 0
        while window.onWire < limit {
            if let packet = window.takeUnsent() {
                write(.publish(packet))
                continue
            }
            guard sourceOpen, let source else { break }
            guard pulled < maximumInFlight else {
                let session = NIOLoopBound(self, eventLoop: eventLoop)
                eventLoop.execute { session.value.sourceReady() }
                break
            }
            let messages = source.nextMessages(limit: min(limit - window.onWire, maximumInFlight - pulled))
            guard !messages.isEmpty else { break }
            pulled += messages.count
            for message in messages { admit(message, from: source) }
        }
    }

    private func validated(
        topic: String, payload: ByteBuffer, qos: MQTTQoS, retain: Bool, properties: MQTTProperties
    ) -> Result<PublishPacket, MQTTConnectionError> {
        guard qos != .exactlyOnce else {
            return .failure(.rejected(.valueOutOfRange(field: "QoS 2 for outbound messages (use QoS 0 or 1)")))
        }
        guard topic.isValidTopicName, topic.utf8.count <= Int(UInt16.max) else { return .failure(.rejected(.invalidTopicName(topic))) }
        let packet = PublishPacket(
            topic: topic, payload: payload, qos: qos, retain: retain && limits.retainAvailable,
            properties: version == .v5 ? properties : [])
        if let limit = limits.maximumPacketSize {
            let size = packet.encodedSize(version: version)
            guard size <= limit else { return .failure(.rejected(.packetTooLarge(size: size, limit: limit))) }
        }
        return .success(packet)
    }

    private func nextIdentifier() -> UInt16? {
        identifiers.next { window.contains($0) || pendingAnswers[$0] != nil }
    }

    private func write(_ packet: MQTTPacket) {
        context?.write(NIOAny(packet), promise: nil)
        wroteSinceFlush = true
    }

    /// One flush for everything written since the last, and the source hears of its
    /// acknowledgements once per batch rather than once per PUBACK.
    private func flush() {
        if !acknowledgedTokens.isEmpty {
            source?.acknowledged(acknowledgedTokens)
            acknowledgedTokens.removeAll(keepingCapacity: true)
        }
        guard wroteSinceFlush, let context else { return }
        wroteSinceFlush = false
        context.flush()
    }

    private func failPendingAnswers(_ error: any Error) {
        for pending in pendingAnswers.values {
            pending.timeout.cancel()
            pending.promise.fail(error)
        }
        pendingAnswers.removeAll()
    }

    // MARK: Inbound

    func acknowledge(_ ack: PublishAckPacket) {
        guard let entry = window.remove(ack.packetIdentifier) else {
            logger.debug("ignoring PUBACK for unknown packet identifier \(ack.packetIdentifier)")
            return
        }
        let result = PublishResult(reasonCode: ack.reasonCode, reasonString: ack.properties.reasonString)
        switch entry.owner {
        case .caller(let completion): completion(.success(result))
        case .source(let token):
            if ack.reasonCode.isFailure { source?.refused(token, result: result) } else { acknowledgedTokens.append(token) }
        }
    }

    private var windowLimit: Int { min(maximumInFlight, limits.receiveMaximum) }

    /// The end of what one read brought: the window refills and everything goes in one flush.
    /// A broker that sends each PUBACK at once (TCP_NODELAY) brings them one a read: refilled at
    /// each, the window would cost a TLS record and a write for every publish, so it waits until
    /// a quarter of it is free (what is on the wire brings the next read).
    func readComplete() {
        if window.onWire == 0 || windowLimit - window.onWire >= max(1, windowLimit / 4) { pump() }
        flush()
        if let quiet, window.onWire == 0 {
            self.quiet = nil
            quiet.succeed()
        }
    }

    func answered(_ ack: SubscriptionAckPacket) {
        guard let pending = pendingAnswers.removeValue(forKey: ack.packetIdentifier) else { return }
        pending.timeout.cancel()
        pending.promise.succeed(ack)
    }

    func receive(_ publish: PublishPacket) {
        let message = MQTTInboundMessage(
            topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: publish.retain, properties: publish.properties)
        switch publish.qos {
        case .atMostOnce:
            deliver(message)
        case .atLeastOnce:
            deliver(message)
            write(.pubAck(PublishAckPacket(packetIdentifier: publish.packetIdentifier!)))
        case .exactlyOnce:
            let identifier = publish.packetIdentifier!
            // Delivered once per identifier until PUBREL frees it (MQTT 4.3.3, method B).
            if receivedExactlyOnce.insert(identifier).inserted { deliver(message) }
            write(.pubRec(PublishAckPacket(packetIdentifier: identifier)))
        }
    }

    func release(_ release: PublishAckPacket) {
        let known = receivedExactlyOnce.remove(release.packetIdentifier) != nil
        let reason: MQTTReasonCode = known || version != .v5 ? .success : .packetIdentifierNotFound
        write(.pubComp(PublishAckPacket(packetIdentifier: release.packetIdentifier, reasonCode: reason)))
    }

    /// The encoder could not frame a packet the checks let through: only that message fails.
    func unencodable(_ failure: MQTTUnencodablePacket) {
        guard case .publish(let publish) = failure.packet, let identifier = publish.packetIdentifier,
            let entry = window.remove(identifier)
        else {
            logger.error("a \(failure.packet.type) packet could not be encoded: \(failure.error)")
            return
        }
        let error = MQTTConnectionError.rejected(failure.error)
        switch entry.owner {
        case .caller(let completion): completion(.failure(error))
        case .source(let token):
            source?.refused(token, result: PublishResult(reasonCode: error.reasonCode, reasonString: error.description))
        }
    }
}

extension MQTTConnectionError {
    /// The reason code a broker would have given for a message the client refuses to send.
    var reasonCode: MQTTReasonCode {
        switch self {
        case .rejected(.packetTooLarge): .packetTooLarge
        case .rejected(.invalidTopicName): .topicNameInvalid
        default: .unspecifiedError
        }
    }
}

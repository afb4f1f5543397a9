import Logging
import MQTT
import NIOCore
import Spool
import Synchronization

/// The device's events on their way from the outbox to the broker, pulled by the MQTT client's
/// session on its event loop: a batch of PUBACKs acknowledges its events in the outbox under
/// one lock, a refusal holds its event in the spool for the operator, and what the client hands
/// back when it stops goes back in line for the next connection or boot.
final class OutboxPublishSource: MQTTPublishSource {
    private struct Sent {
        var event: OutboxEvent
        var handedOver: ContinuousClock.Instant
    }

    private let outbox: Outbox
    private let announcement: DeviceAnnouncement
    /// Every spooled event is a reader event of this device: it goes out under the topic the
    /// device has now, so events held back by a wrong 028E/028F (refused, or waiting across the
    /// push that fixed it) reach the topic the broker allows once sent again.
    private let topic: String
    /// The spool's id, stable across reconnects and restarts, lets a consumer drop a duplicate (MQTT 5 only).
    private let tagsEventID: Bool
    private let rejected: EventCounter
    private let eventAcknowledged: (@Sendable (Duration) -> Void)?
    private let logger: Logger
    /// The events the client holds, by id. Only the client's event loop touches it: the lock is never contended.
    private let sent = Mutex<[UInt64: Sent]>([:])

    init(
        outbox: Outbox, announcement: DeviceAnnouncement, tagsEventID: Bool, rejected: EventCounter,
        eventAcknowledged: (@Sendable (Duration) -> Void)?, logger: Logger
    ) {
        self.outbox = outbox
        self.announcement = announcement
        self.topic = announcement.settings.topics.readerEvent
        self.tagsEventID = tagsEventID
        self.rejected = rejected
        self.eventAcknowledged = eventAcknowledged
        self.logger = logger
    }

    func setWaker(_ waker: @escaping @Sendable () -> Void) { outbox.setWaker(waker) }

    func greeting(localAddress: SocketAddress?) -> MQTTGreeting { announcement.greeting(localAddress: localAddress) }

    func nextMessages(limit: Int) -> [MQTTSourceMessage] {
        let batch = outbox.takeBatch(limit: limit)
        guard !batch.isEmpty else { return [] }
        let now = ContinuousClock.now
        sent.withLock { sent in for event in batch { sent[event.id] = Sent(event: event, handedOver: now) } }
        GatewayMetrics.eventsPublished.increment(by: Int64(batch.count))
        return batch.map { event in
            MQTTSourceMessage(
                token: event.id, topic: topic, payload: ByteBuffer(bytes: event.payload), qos: announcement.qos,
                properties: tagsEventID ? [.userProperty(name: "event-id", value: String(event.id))] : [])
        }
    }

    func acknowledged(_ tokens: [UInt64]) {
        let now = ContinuousClock.now
        let handedOver = sent.withLock { sent in tokens.compactMap { sent.removeValue(forKey: $0)?.handedOver } }
        if let eventAcknowledged { for instant in handedOver { eventAcknowledged(now - instant) } }
        GatewayMetrics.eventsAcknowledged.increment(by: Int64(tokens.count))
        outbox.acknowledge(tokens)
    }

    func refused(_ token: UInt64, result: PublishResult) {
        guard let event = sent.withLock({ $0.removeValue(forKey: token)?.event }) else { return }
        let whereItGoes =
            outbox.isDurable
            ? "it is held in the spool until `smartreader spool retry` or `smartreader spool discard`"
            : "it is not delivered, and without a spool (replay) no copy is kept"
        logger.error("the broker refused event \(event.id) on \(topic): \(result.reasonCode); \(whereItGoes)")
        rejected.increment()
        GatewayMetrics.eventsRefused.increment()
        outbox.refuse(event)
    }

    func returned(_ tokens: [UInt64]) {
        let events = sent.withLock { sent in tokens.compactMap { sent.removeValue(forKey: $0)?.event } }
        if !outbox.giveBack(events) { logger.error("\(events.count) events not published: the client stopped before the broker answered") }
    }

    func subscribed(_ subscriptions: [MQTTSubscription], result: Result<[MQTTReasonCode], any Error>) {
        switch result {
        case .success(let codes):
            for (subscription, code) in zip(subscriptions, codes) where code.isFailure {
                logger.error("the broker refused our subscription to \(subscription.topicFilter): \(code)")
            }
        case .failure(let error):
            logger.warning("subscribing to \(subscriptions.map(\.topicFilter).joined(separator: ", ")) failed: \(error)")
        }
    }
}

import NIOCore

/// A message a publish source hands the client; `token` names it in the answers.
public struct MQTTSourceMessage: Sendable {
    public var token: UInt64
    public var topic: String
    public var payload: ByteBuffer
    /// At most once is acknowledged to the source as soon as it is written.
    public var qos: MQTTQoS
    public var properties: MQTTProperties

    public init(token: UInt64, topic: String, payload: ByteBuffer, qos: MQTTQoS = .atLeastOnce, properties: MQTTProperties = []) {
        self.token = token
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.properties = properties
    }
}

/// What a new connection starts with once the client's own re-sends are out: messages and
/// subscriptions, written at once, without waiting for one another's acknowledgements.
public struct MQTTGreeting: Sendable {
    public var messages: [OutboundMessage]
    public var subscriptions: [MQTTSubscription]

    public init(messages: [OutboundMessage] = [], subscriptions: [MQTTSubscription] = []) {
        self.messages = messages
        self.subscriptions = subscriptions
    }
}

/// The steady stream a client publishes at QoS 1 without a task, continuation or actor per
/// message: the client's session pulls messages on its event loop while its window has room
/// and hands the answers back there. Every method is called on the client's event loop and
/// must not block; `nextMessages` returning empty means "none now", and the source then calls
/// the waker it was given once some are ready.
public protocol MQTTPublishSource: AnyObject, Sendable {
    /// Called once, before anything else: how to wake the client after `nextMessages` came back empty.
    func setWaker(_ waker: @escaping @Sendable () -> Void)
    /// The greeting of a new connection; the source's messages follow it. `localAddress` is ours as the broker sees it.
    func greeting(localAddress: SocketAddress?) -> MQTTGreeting
    /// Up to `limit` messages ready now, in order.
    func nextMessages(limit: Int) -> [MQTTSourceMessage]
    /// The broker acknowledged these with success, in the order the answers arrived.
    func acknowledged(_ tokens: [UInt64])
    /// The broker (or the client, for a message it cannot send, such as one over the broker's
    /// Maximum Packet Size) answered with a failure reason code: sending it again would fail again.
    func refused(_ token: UInt64, result: PublishResult)
    /// The client stopped with these unanswered: they were not delivered, as far as it knows.
    func returned(_ tokens: [UInt64])
    /// The broker's answer to the greeting's subscriptions, or why none came.
    func subscribed(_ subscriptions: [MQTTSubscription], result: Result<[MQTTReasonCode], any Error>)
}

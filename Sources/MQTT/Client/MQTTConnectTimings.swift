import NIOCore
import NIOTLS
import Synchronization

/// How the last connection came up, measured from the start of its attempt: for a client that
/// measures its broker (the fleet simulator) rather than one that only uses it.
public struct MQTTConnectTimings: Sendable, Equatable {
    /// TCP connect and TLS handshake; nil without TLS.
    public var tlsHandshake: Duration?
    /// Up to the CONNACK: TCP, TLS, CONNECT and the broker's answer.
    public var connAck: Duration
}

/// Notes when the TLS handshake completes, for `MQTTConnectTimings`.
final class TLSHandshakeClock: ChannelInboundHandler, Sendable {
    typealias InboundIn = NIOAny
    let started = ContinuousClock.now
    private let completed = Mutex<ContinuousClock.Instant?>(nil)

    var handshake: Duration? { completed.withLock { $0 }.map { $0 - started } }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { completed.withLock { $0 = .now } }
        context.fireUserInboundEventTriggered(event)
    }
}

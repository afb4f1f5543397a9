import NIOCore
import NIOTLS

/// Closes a connection whose CONNACK has not arrived within the connect timeout of the
/// CONNECT being written. Both ends of the measurement are on the event loop, so neither a
/// slow resumption of the client actor nor a CONNACK arriving just in time can skew it. Over
/// TLS the CONNECT waits for the handshake: a timeout before it finished is told as TLS's,
/// since the broker never saw the CONNECT (and no other MQTT version would fare better).
final class MQTTConnectTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let timeout: Duration
    private var timer: Scheduled<Void>?
    private var answered = false
    private var awaitingTLS: Bool

    init(timeout: Duration, overTLS: Bool) {
        self.timeout = timeout
        awaitingTLS = overTLS
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if timer == nil && !answered {
            let timeout = self.timeout
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                let context = loopBoundContext.value
                let error: MQTTConnectionError =
                    handler.value.awaitingTLS ? .tlsHandshakeTimeout(seconds: timeout.seconds) : .connectTimeout(seconds: timeout.seconds)
                context.fireErrorCaught(error)
                context.close(promise: nil)
            }
        }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { awaitingTLS = false }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !answered {
            answered = true
            timer?.cancel()
        }
        context.fireChannelRead(data)
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }
}

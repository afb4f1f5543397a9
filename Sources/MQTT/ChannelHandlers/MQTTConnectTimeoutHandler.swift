import NIOCore

/// Closes a connection whose CONNACK has not arrived within the connect timeout of the
/// CONNECT being written. Both ends of the measurement are on the event loop, so neither a
/// slow resumption of the client actor nor a CONNACK arriving just in time can skew it.
final class MQTTConnectTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = MQTTPacket
    typealias InboundOut = MQTTPacket
    typealias OutboundIn = MQTTPacket
    typealias OutboundOut = MQTTPacket

    private let timeout: Duration
    private var timer: Scheduled<Void>?
    private var answered = false

    init(timeout: Duration) { self.timeout = timeout }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if timer == nil && !answered {
            let timeout = self.timeout
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            timer = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                let context = loopBoundContext.value
                context.fireErrorCaught(MQTTConnectionError.connectTimeout(seconds: timeout.seconds))
                context.close(promise: nil)
            }
        }
        context.write(data, promise: promise)
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

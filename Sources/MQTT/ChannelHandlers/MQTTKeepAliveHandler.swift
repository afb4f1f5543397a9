import NIOCore

/// Keeps an idle connection alive with PINGREQ and closes a dead one. A link counts as dead
/// when nothing at all has been read for 1.5 x keep-alive (MQTT section 3.1.2.10 asks the
/// server for the same); pings start once CONNACK has arrived, since nothing but CONNECT may
/// precede it.
public final class MQTTKeepAliveHandler: ChannelDuplexHandler {
    public typealias InboundIn = MQTTPacket
    public typealias InboundOut = MQTTPacket
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = MQTTPacket

    private let keepAlive: TimeAmount
    private let tick: TimeAmount
    private var lastRead = NIODeadline.now()
    private var lastWrite = NIODeadline.now()
    private var pingOutstanding = false
    private var connected = false
    private var timer: RepeatedTask?

    public init(keepAlive: TimeAmount) {
        precondition(keepAlive > .zero, "a keep-alive of 0 disables the mechanism; do not add the handler")
        self.keepAlive = keepAlive
        self.tick = max(.milliseconds(10), TimeAmount.nanoseconds(keepAlive.nanoseconds / 20))
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        let loopBoundSelf = NIOLoopBound(self, eventLoop: context.eventLoop)
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            loopBoundSelf.value.check(context: loopBoundContext.value)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = .now()
        pingOutstanding = false
        if case .connAck = unwrapInboundIn(data) { connected = true }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        lastWrite = .now()
        context.write(data, promise: promise)
    }

    private func check(context: ChannelHandlerContext) {
        guard connected else { return }
        let now = NIODeadline.now()
        let silence = now - lastRead
        if silence + tick >= TimeAmount.nanoseconds(keepAlive.nanoseconds * 3 / 2) {
            timer?.cancel()
            context.fireErrorCaught(MQTTConnectionError.keepAliveTimeout(seconds: Double(keepAlive.nanoseconds) / 1e9))
            context.close(promise: nil)
            return
        }
        let writeIdle = now - lastWrite >= TimeAmount.nanoseconds(keepAlive.nanoseconds * 3 / 4)
        let readIdle = silence >= TimeAmount.nanoseconds(keepAlive.nanoseconds / 2)
        if !pingOutstanding && (writeIdle || readIdle) {
            pingOutstanding = true
            lastWrite = now
            context.writeAndFlush(wrapOutboundOut(.pingReq), promise: nil)
        }
    }
}

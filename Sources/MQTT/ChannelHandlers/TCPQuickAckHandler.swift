import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Acknowledges a segment from the broker at once rather than on Linux's delayed-ACK timer (up to
/// 40 ms) when nothing we send in answer would carry the ACK. A broker that leaves Nagle's
/// algorithm on (mosquitto as shipped) holds a small answer back until its previous one is
/// acknowledged, so a client with nothing to send would make it wait for that timer: once after
/// the TLS session tickets and once for each answer that follows another. Linux clears the flag
/// as it goes, so it is set again after each read that the pipeline did not answer; a read
/// answered with data (the next publishes, while streaming) needs no system call.
final class TCPQuickAckHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var unflushedWrite = false
    private var flushedSinceRead = false

    func channelActive(context: ChannelHandlerContext) {
        acknowledgeQuickly(context)
        context.fireChannelActive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flushedSinceRead = false
        context.fireChannelReadComplete()
        if !flushedSinceRead { acknowledgeQuickly(context) }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        unflushedWrite = true
        context.write(data, promise: promise)
    }

    func flush(context: ChannelHandlerContext) {
        if unflushedWrite { flushedSinceRead = true }
        unflushedWrite = false
        context.flush()
    }

    private func acknowledgeQuickly(_ context: ChannelHandlerContext) {
        #if os(Linux)
            // Best effort: where the option does not exist, ACKs keep their usual timing.
            try? context.channel.syncOptions?.setOption(.tcpOption(NIOBSDSocket.Option(rawValue: TCP_QUICKACK)), value: 1)
        #endif
    }
}

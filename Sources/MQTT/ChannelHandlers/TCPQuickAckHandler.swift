import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Acknowledges each segment from the broker at once rather than on Linux's delayed-ACK timer
/// (up to 40 ms). A broker that leaves Nagle's algorithm on (mosquitto as shipped) holds a small
/// answer back until its previous one is acknowledged, so a client with nothing to send would
/// make it wait for that timer: once after the TLS session tickets and once for each answer
/// that follows another. Linux clears the flag as it goes; it is set again after every read.
final class TCPQuickAckHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func channelActive(context: ChannelHandlerContext) {
        acknowledgeQuickly(context)
        context.fireChannelActive()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        acknowledgeQuickly(context)
        context.fireChannelReadComplete()
    }

    private func acknowledgeQuickly(_ context: ChannelHandlerContext) {
        #if os(Linux)
            // Best effort: where the option does not exist, ACKs keep their usual timing.
            try? context.channel.syncOptions?.setOption(.tcpOption(NIOBSDSocket.Option(rawValue: TCP_QUICKACK)), value: 1)
        #endif
    }
}

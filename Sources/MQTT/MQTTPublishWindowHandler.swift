import NIOCore

/// Keeps at most the broker's Receive Maximum of QoS 1 PUBLISH packets on the wire and holds
/// the rest; each PUBACK releases the next held packet on the event loop, without waiting for
/// the client above to notice the acknowledgement. The broker's limit is read from CONNACK.
public final class MQTTPublishWindowHandler: ChannelDuplexHandler {
    public typealias InboundIn = MQTTPacket
    public typealias InboundOut = MQTTPacket
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = MQTTPacket

    private var limit = Int(UInt16.max)
    private var onTheWire: Set<UInt16> = []
    private var held = CircularBuffer<(packet: MQTTPacket, promise: EventLoopPromise<Void>?)>()
    private var releasedSinceFlush = false

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let packet = unwrapOutboundIn(data)
        guard case .publish(let publish) = packet, publish.qos != .atMostOnce, let identifier = publish.packetIdentifier else {
            context.write(data, promise: promise)
            return
        }
        if onTheWire.count < limit && held.isEmpty {
            onTheWire.insert(identifier)
            context.write(data, promise: promise)
        } else {
            held.append((packet, promise))
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .connAck(let connAck):
            limit = connAck.properties.receiveMaximum.map(Int.init) ?? Int(UInt16.max)
        case .pubAck(let ack):
            if onTheWire.remove(ack.packetIdentifier) != nil { release(context: context) }
        default:
            break
        }
        context.fireChannelRead(data)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if releasedSinceFlush {
            releasedSinceFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        // Held packets stay in the client's in-flight window and go out again on the next connection.
        while let (_, promise) = held.popFirst() { promise?.fail(ChannelError.ioOnClosedChannel) }
        context.fireChannelInactive()
    }

    private func release(context: ChannelHandlerContext) {
        while onTheWire.count < limit, let (packet, promise) = held.popFirst() {
            if case .publish(let publish) = packet, let identifier = publish.packetIdentifier { onTheWire.insert(identifier) }
            context.write(wrapOutboundOut(packet), promise: promise)
            releasedSinceFlush = true
        }
    }
}

import NIOCore

/// Splits the inbound byte stream into packets. The declared length is checked against the
/// limit before any body byte is buffered, so a peer cannot make us hold an oversized packet.
public struct MQTTPacketDecoder: ByteToMessageDecoder {
    public typealias InboundOut = MQTTPacket

    public let version: MQTTProtocolVersion
    public let maximumPacketSize: Int

    public init(version: MQTTProtocolVersion, maximumPacketSize: Int) {
        self.version = version
        self.maximumPacketSize = maximumPacketSize
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let packet = try Self.nextPacket(in: &buffer, version: version, maximumPacketSize: maximumPacketSize) else {
            return .needMoreData
        }
        context.fireChannelRead(Self.wrapInboundOut(packet))
        return .continue
    }

    /// The framing logic without NIO's handler machinery, shared by tests and benchmarks.
    public static func nextPacket(
        in buffer: inout ByteBuffer, version: MQTTProtocolVersion, maximumPacketSize: Int
    ) throws(MQTTDecodingError) -> MQTTPacket? {
        var peek = buffer
        guard let header = peek.readInteger(as: UInt8.self) else { return nil }
        guard let length = try peek.readVariableByteIntegerIfComplete(field: "remaining length") else { return nil }
        let size = 1 + ByteBuffer.variableByteIntegerSize(length) + length
        guard size <= maximumPacketSize else { throw .packetTooLarge(size: size, limit: maximumPacketSize) }
        guard let body = peek.readSlice(length: length) else { return nil }
        buffer = peek
        return try MQTTPacket.decode(fixedHeader: header, body: body, version: version)
    }
}

/// Encodes packets into one buffer until the flush, so a flush of many PUBLISH packets is one
/// TLS record and one socket write rather than one of each per packet. A packet that cannot be
/// encoded fails its own promise, or is reported as an `MQTTUnencodablePacket` error, and leaves
/// the others alone.
public final class MQTTPacketEncoder: ChannelOutboundHandler {
    public typealias OutboundIn = MQTTPacket
    public typealias OutboundOut = ByteBuffer

    public let version: MQTTProtocolVersion
    private var pending: ByteBuffer?
    private var pendingPromise: EventLoopPromise<Void>?

    public init(version: MQTTProtocolVersion) {
        self.version = version
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = pending ?? context.channel.allocator.buffer(capacity: 256)
        let start = buffer.writerIndex
        let packet = unwrapOutboundIn(data)
        do {
            try packet.encode(version: version, into: &buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            pending = buffer
            // Written without a promise (the session's publishes), the failure is told inbound.
            if let promise { promise.fail(error) } else { context.fireErrorCaught(MQTTUnencodablePacket(packet: packet, error: error)) }
            return
        }
        pending = buffer
        if let promise {
            if let pendingPromise { pendingPromise.futureResult.cascade(to: promise) } else { pendingPromise = promise }
        }
    }

    public func flush(context: ChannelHandlerContext) {
        if let buffer = pending, buffer.readableBytes > 0 {
            context.write(wrapOutboundOut(buffer), promise: pendingPromise)
        } else {
            pendingPromise?.succeed()
        }
        pending = nil
        pendingPromise = nil
        context.flush()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        pendingPromise?.fail(ChannelError.ioOnClosedChannel)
        pendingPromise = nil
    }
}

/// A packet written without a promise that the encoder could not frame; the connection goes on.
public struct MQTTUnencodablePacket: Error {
    public let packet: MQTTPacket
    public let error: MQTTEncodingError
}

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

public struct MQTTPacketEncoder: MessageToByteEncoder {
    public typealias OutboundIn = MQTTPacket

    public let version: MQTTProtocolVersion
    public let maximumPacketSize: Int?

    public init(version: MQTTProtocolVersion, maximumPacketSize: Int? = nil) {
        self.version = version
        self.maximumPacketSize = maximumPacketSize
    }

    public func encode(data: MQTTPacket, out: inout ByteBuffer) throws {
        try data.encode(version: version, into: &out, maximumPacketSize: maximumPacketSize)
    }
}

import NIOCore

/// The data representations of MQTT section 1.5, read strictly: every reader throws rather than
/// returning partial values, so a decoder never acts on a truncated field.
extension ByteBuffer {
    static let maximumVariableByteInteger = 268_435_455

    mutating func writeVariableByteInteger(_ value: Int) {
        precondition(value >= 0 && value <= Self.maximumVariableByteInteger)
        var remaining = value
        repeat {
            var byte = UInt8(remaining & 0x7F)
            remaining >>= 7
            if remaining > 0 { byte |= 0x80 }
            writeInteger(byte)
        } while remaining > 0
    }

    static func variableByteIntegerSize(_ value: Int) -> Int {
        switch value {
        case ..<128: 1
        case ..<16_384: 2
        case ..<2_097_152: 3
        default: 4
        }
    }

    /// Returns nil when more bytes are needed; throws when the encoding is malformed.
    mutating func readVariableByteIntegerIfComplete(field: String) throws(MQTTDecodingError) -> Int? {
        var value = 0
        var multiplier = 1
        var index = readerIndex
        for position in 0..<4 {
            guard let byte = getInteger(at: index, as: UInt8.self) else { return nil }
            index += 1
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 {
                // A value must use the minimum number of bytes (MQTT 5 section 1.5.5).
                if position > 0 && byte == 0 { throw .malformedVariableByteInteger(field: field) }
                moveReaderIndex(to: index)
                return value
            }
            multiplier *= 128
        }
        throw .malformedVariableByteInteger(field: field)
    }

    mutating func readVariableByteInteger(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> Int {
        guard let value = try readVariableByteIntegerIfComplete(field: field) else {
            throw .truncated(packet: packet, field: field)
        }
        return value
    }

    mutating func readByte(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else { throw .truncated(packet: packet, field: field) }
        return value
    }

    mutating func readUInt16(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> UInt16 {
        guard let value = readInteger(endianness: .big, as: UInt16.self) else {
            throw .truncated(packet: packet, field: field)
        }
        return value
    }

    mutating func readUInt32(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> UInt32 {
        guard let value = readInteger(endianness: .big, as: UInt32.self) else {
            throw .truncated(packet: packet, field: field)
        }
        return value
    }

    mutating func readBinaryData(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> [UInt8] {
        let length = try readUInt16(packet: packet, field: field)
        guard let bytes = readBytes(length: Int(length)) else { throw .truncated(packet: packet, field: field) }
        return bytes
    }

    mutating func readMQTTString(packet: MQTTPacketType, field: String) throws(MQTTDecodingError) -> String {
        let bytes = try readBinaryData(packet: packet, field: field)
        // String(validating:) rejects ill-formed UTF-8 including surrogates; U+0000 is banned by the spec.
        guard !bytes.contains(0), let string = String(validating: bytes, as: UTF8.self) else {
            throw .invalidUTF8(field: field)
        }
        return string
    }

    mutating func readPacketIdentifier(packet: MQTTPacketType) throws(MQTTDecodingError) -> UInt16 {
        let identifier = try readUInt16(packet: packet, field: "packet identifier")
        guard identifier != 0 else { throw .zeroPacketIdentifier(packet: packet) }
        return identifier
    }

    /// `field` names the string in an error only, so it is built only on failure.
    mutating func writeMQTTString(_ string: String, field: @autoclosure () -> String) throws(MQTTEncodingError) {
        let length = string.utf8.count
        guard length <= Int(UInt16.max) else { throw .stringTooLong(field: field(), length: length) }
        writeInteger(UInt16(length), endianness: .big)
        writeString(string)
    }

    mutating func writeBinaryData(_ bytes: [UInt8], field: @autoclosure () -> String) throws(MQTTEncodingError) {
        guard bytes.count <= Int(UInt16.max) else { throw .stringTooLong(field: field(), length: bytes.count) }
        writeInteger(UInt16(bytes.count), endianness: .big)
        writeBytes(bytes)
    }
}

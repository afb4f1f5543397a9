/// NXP PN532 frames over HSU (UART), per the user manual: normal and extended information
/// frames, ACK, NACK and the error frame.
public enum PN532Frame: Sendable, Equatable {
    case ack
    case nack
    /// The application-level error frame (`00 00 FF 01 FF 7F 81 00`).
    case error
    /// An information frame: TFI (`D4` host to chip, `D5` chip to host), then command code and data.
    case information(tfi: UInt8, code: UInt8, data: [UInt8])

    public static let hostToChip: UInt8 = 0xD4
    public static let chipToHost: UInt8 = 0xD5
    public static let ackBytes: [UInt8] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00]
    public static let nackBytes: [UInt8] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00]
    /// Wakes the chip from power-down on HSU: a long preamble of 0x55 then zeros.
    public static let wakeUp: [UInt8] = [0x55, 0x55] + [UInt8](repeating: 0, count: 14)

    public var bytes: [UInt8] {
        switch self {
        case .ack: return Self.ackBytes
        case .nack: return Self.nackBytes
        case .error: return [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]
        case .information(let tfi, let code, let data):
            let body = [tfi, code] + data
            let checksum = UInt8(truncatingIfNeeded: 0x100 - Int(body.reduce(UInt8(0), &+)))
            var frame: [UInt8] = [0x00, 0x00, 0xFF]
            if body.count < 0xFF {
                let length = UInt8(body.count)
                frame += [length, UInt8(truncatingIfNeeded: 0x100 - Int(length))]
            } else {
                let high = UInt8(body.count >> 8)
                let low = UInt8(body.count & 0xFF)
                frame += [0xFF, 0xFF, high, low, UInt8(truncatingIfNeeded: 0x100 - Int(high &+ low))]
            }
            return frame + body + [checksum, 0x00]
        }
    }
}

/// Finds frames in bytes from the serial line. Garbage before a start code is skipped; a frame
/// whose length or data checksum is wrong is reported as `.corrupt` so the caller can NACK it.
public struct PN532FrameDecoder: Sendable {
    public enum Output: Sendable, Equatable {
        case frame(PN532Frame)
        case corrupt(reason: String)
    }

    private var buffer: [UInt8] = []
    /// Bytes thrown away while looking for a start code, for diagnostics.
    public private(set) var skippedBytes = 0

    public init() {}

    public mutating func feed(_ bytes: [UInt8]) -> [Output] {
        buffer += bytes
        var outputs: [Output] = []
        while let output = nextOutput() { outputs.append(output) }
        return outputs
    }

    private mutating func nextOutput() -> Output? {
        // Start code 00 FF; the preamble 00 before it is optional on receive.
        guard let start = (0..<max(0, buffer.count - 1)).first(where: { buffer[$0] == 0x00 && buffer[$0 + 1] == 0xFF }) else {
            let keep = buffer.last == 0x00 ? 1 : 0
            skippedBytes += buffer.count - keep
            buffer = keep == 1 ? [0x00] : []
            return nil
        }
        skippedBytes += start
        buffer.removeFirst(start)
        guard buffer.count >= 4 else { return nil }
        let length = buffer[2]
        let lengthChecksum = buffer[3]
        if length == 0x00 && lengthChecksum == 0xFF {
            buffer.removeFirst(min(buffer.count, 5))
            return .frame(.ack)
        }
        if length == 0xFF && lengthChecksum == 0x00 {
            buffer.removeFirst(min(buffer.count, 5))
            return .frame(.nack)
        }
        var bodyStart = 4
        var bodyLength = Int(length)
        if length == 0xFF && lengthChecksum == 0xFF {
            guard buffer.count >= 7 else { return nil }
            guard buffer[4] &+ buffer[5] &+ buffer[6] == 0 else { return dropStart(reason: "extended length checksum does not match") }
            bodyLength = Int(buffer[4]) << 8 | Int(buffer[5])
            bodyStart = 7
        } else if length &+ lengthChecksum != 0 {
            return dropStart(reason: "length checksum does not match")
        }
        guard buffer.count >= bodyStart + bodyLength + 1 else { return nil }
        let body = Array(buffer[bodyStart..<bodyStart + bodyLength])
        let checksum = buffer[bodyStart + bodyLength]
        buffer.removeFirst(min(buffer.count, bodyStart + bodyLength + 2))
        guard body.reduce(checksum, &+) == 0 else { return .corrupt(reason: "data checksum does not match") }
        if body == [0x7F] { return .frame(.error) }
        guard body.count >= 2 else { return .corrupt(reason: "a frame of \(body.count) byte without a command code") }
        return .frame(.information(tfi: body[0], code: body[1], data: Array(body.dropFirst(2))))
    }

    /// A bad header: skip the start code and resynchronise on the next one.
    private mutating func dropStart(reason: String) -> Output {
        buffer.removeFirst(2)
        skippedBytes += 2
        return .corrupt(reason: reason)
    }
}

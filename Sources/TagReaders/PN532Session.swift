import SpringCore

/// Commands to a PN532 over HSU with the manual's handshake: each command is ACKed, a
/// response that arrives damaged is NACKed so the chip sends it again, a missing ACK or
/// response is retried, and the error frame becomes an error.
public final class PN532Session {
    public static let getFirmwareVersion: UInt8 = 0x02
    public static let samConfiguration: UInt8 = 0x14
    public static let inListPassiveTarget: UInt8 = 0x4A
    public static let inDataExchange: UInt8 = 0x40

    private let port: SerialPort
    private var decoder = PN532FrameDecoder()
    private var pending: [PN532FrameDecoder.Output] = []
    public let ackTimeout: Duration
    public let attempts: Int

    public init(port: SerialPort, ackTimeout: Duration = .milliseconds(100), attempts: Int = 3) {
        self.port = port
        self.ackTimeout = ackTimeout
        self.attempts = attempts
    }

    public var path: String { port.path }

    /// Wake-up, SAMConfiguration (normal mode), and the firmware check; returns "PN532 v1.6".
    public func initialise() throws(ReaderError) -> String {
        try port.write(PN532Frame.wakeUp)
        _ = try command(Self.samConfiguration, [0x01, 0x14, 0x01])
        let version = try command(Self.getFirmwareVersion, [])
        guard version.count >= 4, version[0] == 0x32 else {
            throw .protocolFailure(path: path, reason: "GetFirmwareVersion answered \(Hex.encode(version)), not a PN532 (IC 32)")
        }
        return "PN532 v\(version[1]).\(version[2])"
    }

    /// The response data (after the response code) to `code` with `data`.
    public func command(_ code: UInt8, _ data: [UInt8], timeout: Duration = .milliseconds(500)) throws(ReaderError) -> [UInt8] {
        let request = PN532Frame.information(tfi: PN532Frame.hostToChip, code: code, data: data).bytes
        var lastProblem = "no answer"
        for _ in 0..<attempts {
            pending.removeAll()
            try port.write(request)
            guard case .frame(.ack)? = try next(within: ackTimeout) else {
                lastProblem = "command \(Hex.encode([code])) was not acknowledged"
                continue
            }
            // A damaged response is asked for again with NACK, up to `attempts` times; silence
            // sends the command again.
            responses: for _ in 0..<attempts {
                switch try next(within: timeout) {
                case .frame(.information(PN532Frame.chipToHost, let responseCode, let payload))? where responseCode == code &+ 1:
                    return payload
                case .frame(.error)?:
                    throw .protocolFailure(path: path, reason: "the PN532 answered command \(Hex.encode([code])) with its error frame")
                case .corrupt(let reason)?:
                    lastProblem = "response to \(Hex.encode([code])): \(reason)"
                    try port.write(PN532Frame.nackBytes)
                case .frame(let other)?:
                    lastProblem = "unexpected \(other) in answer to \(Hex.encode([code]))"
                case nil:
                    lastProblem = "no response to \(Hex.encode([code])) within \(timeout)"
                    break responses
                }
            }
        }
        throw .protocolFailure(path: path, reason: lastProblem)
    }

    private func next(within timeout: Duration) throws(ReaderError) -> PN532FrameDecoder.Output? {
        let deadline = ContinuousClock.now + timeout
        while pending.isEmpty {
            let remaining = deadline - .now
            guard remaining > .zero else { return nil }
            pending += decoder.feed(try port.read(timeout: min(remaining, .milliseconds(50))))
        }
        return pending.removeFirst()
    }
}

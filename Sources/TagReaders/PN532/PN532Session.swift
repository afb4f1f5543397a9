import SpringCore

/// Commands to a PN532 over HSU with the manual's handshake: each command is ACKed, a
/// response that arrives damaged is NACKed so the chip sends it again, and the error frame
/// becomes an error (`command`) or nil (`commandUnlessRefused`). A command that is not ACKed or not answered in time is aborted with the
/// host's ACK frame (UM0701-02 §6.2.1.3: the ACK frame is also the abort mechanism) before
/// anything else is sent, and is then retried.
public final class PN532Session {
    private let port: SerialPort
    private var decoder = PN532FrameDecoder()
    private var pending: [PN532FrameDecoder.Output] = []
    public let ackTimeout: Duration
    public let attempts: Int
    /// How long the line must stay quiet after an abort: the longest frame (265 bytes and its
    /// framing) takes about 23 ms at 115200 bps, so an answer already on its way is drained
    /// instead of being taken for the next command's.
    public let quietAfterAbort: Duration

    public init(
        port: SerialPort, ackTimeout: Duration = .milliseconds(100), attempts: Int = 3, quietAfterAbort: Duration = .milliseconds(30)
    ) {
        self.port = port
        self.ackTimeout = ackTimeout
        self.attempts = attempts
        self.quietAfterAbort = quietAfterAbort
    }

    public var path: String { port.path }

    /// Wake-up, SAMConfiguration (normal mode), MaxRetries, and the firmware check; returns
    /// "PN532 v1.6". `passiveActivationRetries` is MxRtyPassiveActivation: how many times
    /// InListPassiveTarget tries again when no target answers (0xFF, the power-on value, for ever).
    public func initialise(passiveActivationRetries: UInt8) throws(ReaderError) -> String {
        try port.write(PN532Frame.wakeUp)
        // A chip still busy with a command from before (a poll left retrying for ever by an
        // earlier run) would ignore ours.
        try abort()
        _ = try command(PN532Command.samConfiguration, [0x01, 0x14, 0x01])
        // MxRtyATR and MxRtyPSL keep their power-on values.
        let maxRetries = [PN532Command.RFItem.maxRetries] + PN532Command.powerOnMaxRetries.prefix(2) + [passiveActivationRetries]
        _ = try command(PN532Command.rfConfiguration, maxRetries)
        let version = try command(PN532Command.getFirmwareVersion, [])
        guard version.count >= 4, version[0] == 0x32 else {
            throw .protocolFailure(path: path, reason: "GetFirmwareVersion answered \(Hex.encode(version)), not a PN532 (IC 32)")
        }
        return "PN532 v\(version[1]).\(version[2])"
    }

    /// The response data (after the response code) to `code` with `data`.
    public func command(_ code: UInt8, _ data: [UInt8], timeout: Duration = .milliseconds(500)) throws(ReaderError) -> [UInt8] {
        guard let payload = try commandUnlessRefused(code, data, timeout: timeout) else {
            throw .protocolFailure(path: path, reason: "the PN532 answered command \(Hex.encode([code])) with its error frame")
        }
        return payload
    }

    /// As `command`, but nil when the chip refuses the command with its error frame (a syntax
    /// error, UM0701-02 §6.2.1.5): it did nothing, and is still there to take the next one.
    public func commandUnlessRefused(
        _ code: UInt8, _ data: [UInt8], timeout: Duration = .milliseconds(500)
    ) throws(ReaderError) -> [UInt8]? {
        let request = PN532Frame.information(tfi: PN532Frame.hostToChip, code: code, data: data).bytes
        let name = Hex.encode([code])
        var lastProblem = "no answer"
        for _ in 0..<attempts {
            try port.write(request)
            guard try awaitAcknowledgement() else {
                lastProblem = "command \(name) was not acknowledged within \(ackTimeout)"
                try abort()
                continue
            }
            let deadline = ContinuousClock.now + timeout
            var nacks = 0
            responses: while true {
                switch try next(until: deadline) {
                case .frame(.information(PN532Frame.chipToHost, let responseCode, let payload))? where responseCode == code &+ 1:
                    return payload
                case .frame(.error)?:
                    return nil
                case .corrupt(let reason)?:
                    lastProblem = "response to \(name): \(reason)"
                    guard nacks < attempts else {
                        try abort()
                        break responses
                    }
                    nacks += 1
                    try port.write(PN532Frame.nackBytes)
                case .frame?:
                    // Not an answer to this command: one to an aborted command, or a stray ACK.
                    continue
                case nil:
                    lastProblem = "no response to \(name) within \(timeout)"
                    try abort()
                    break responses
                }
            }
        }
        throw .protocolFailure(path: path, reason: lastProblem)
    }

    /// Waits for the ACK of the command just sent. The chip ACKs a command before it answers
    /// it, so any other frame before that ACK belongs to an earlier command and is dropped.
    private func awaitAcknowledgement() throws(ReaderError) -> Bool {
        let deadline = ContinuousClock.now + ackTimeout
        while let output = try next(until: deadline) {
            if output == .frame(.ack) { return true }
        }
        return false
    }

    /// The host's ACK frame aborts the command in progress; whatever arrives until the line is
    /// quiet belongs to it and is thrown away.
    private func abort() throws(ReaderError) {
        try port.write(PN532Frame.ackBytes)
        let giveUp = ContinuousClock.now + .seconds(1)
        while !(try port.read(timeout: quietAfterAbort)).isEmpty, ContinuousClock.now < giveUp {}
        decoder = PN532FrameDecoder()
        pending.removeAll()
    }

    private func next(until deadline: ContinuousClock.Instant) throws(ReaderError) -> PN532FrameDecoder.Output? {
        while pending.isEmpty {
            let remaining = deadline - .now
            guard remaining > .zero else { return nil }
            pending += decoder.feed(try port.read(timeout: min(remaining, .milliseconds(50))))
        }
        return pending.removeFirst()
    }
}

import Foundation
import Synchronization
import TagReaders

/// A PN532 on the far side of a pseudo-terminal that behaves as UM0701-02 describes the chip
/// after power-on: it ACKs a command, then answers it; NACK makes it repeat its last answer;
/// the host's ACK aborts the command in progress, which then leaves no answer behind; while a
/// command is in progress other commands are ignored. MaxRetries starts at 0xFF, so an
/// InListPassiveTarget with no matching card in the field retries until one comes or the host
/// aborts; RFConfiguration sets it, and switches the field. fAutomaticRATS starts set, so an
/// ISO 14443-4 type A card is taken to its PROTOCOL state; SetParameters changes it. Each
/// activation try takes `activationTry`. The field and its card follow ISO 14443-3 and -4
/// (`PN532EmulatedField`). An InListPassiveTarget whose parameters the manual does not allow
/// is ACKed, then answered with the syntax error frame.
///
/// Cards are put in and taken out of the field by the test, and faults can be scheduled:
/// garbage before a response, a damaged response, silence; for the next command, or for the
/// next one with a given code and data prefix.
public final class PN532Emulator: Sendable {
    public struct Card: Sendable, Equatable {
        public enum Technology: Sendable, Equatable {
            /// ATS only for ISO 14443-4 cards (SAK bit 6), which the PN532 activates with RATS.
            case typeA(atqa: [UInt8], sak: UInt8, ats: [UInt8])
            case felica(pmm: [UInt8], systemCode: [UInt8])
            case typeB(applicationData: [UInt8], protocolInfo: [UInt8])
        }

        /// NFCID1 for type A, IDm for FeliCa, PUPI for type B.
        public var uid: [UInt8]
        public var technology: Technology

        /// A type A card.
        public init(uid: [UInt8], atqa: [UInt8] = [0x00, 0x44], sak: UInt8 = 0x00) {
            self.uid = uid
            technology = .typeA(atqa: atqa, sak: sak, ats: sak & 0x20 != 0 ? [0x05, 0x78, 0x80, 0x70, 0x02] : [])
        }

        public static func felica(idm: [UInt8]) -> Card {
            Card(uid: idm, technology: .felica(pmm: [0x01, 0x20, 0x22, 0x04, 0x27, 0x67, 0x4E, 0xFF], systemCode: [0x88, 0xB4]))
        }

        public static func typeB(pupi: [UInt8]) -> Card {
            Card(uid: pupi, technology: .typeB(applicationData: [0x00, 0x00, 0x00, 0x00], protocolInfo: [0x80, 0x81, 0x71]))
        }

        private init(uid: [UInt8], technology: Technology) {
            self.uid = uid
            self.technology = technology
        }

        var speaksISO14443_4: Bool {
            switch technology {
            case .typeA(_, let sak, _): sak & 0x20 != 0
            case .felica: false
            case .typeB: true
            }
        }
    }

    public enum Fault: Sendable {
        case garbageBeforeResponse
        case damagedResponse
        case silence(commands: Int)
        /// The syntax error frame instead of the answer, as from a chip that refuses the command.
        case errorFrame
    }

    private struct ScheduledFault {
        var fault: Fault
        /// The command the fault waits for; nil: the next command, whatever it is.
        var code: UInt8?
        var dataPrefix: [UInt8]

        func matches(_ code: UInt8, _ data: [UInt8]) -> Bool {
            guard let expected = self.code else { return true }
            return expected == code && data.starts(with: dataPrefix)
        }
    }

    /// The command the chip is working on: ACKed, not yet answered.
    private struct Busy {
        var code: UInt8
        var data: [UInt8]
        var fault: Fault?
        var due: ContinuousClock.Instant
        /// Activation tries InListPassiveTarget has left; nil: for ever (MaxRetries 0xFF).
        var triesLeft: Int?
    }

    private struct State {
        var field = PN532EmulatedField()
        var passiveActivationRetries: UInt8 = 0xFF
        var automaticRATS = true
        var busy: Busy?
        var listedTarget = false
        var faults: [ScheduledFault] = []
        var silentCommands = 0
        var lastResponse: [UInt8] = []
        var commandsSeen: [UInt8] = []
        var nacksSeen = 0
        var abortsSeen = 0
        var running = true
    }

    /// SetParameters, which the reader leaves at its power-on flags, and the flag bit with which
    /// InListPassiveTarget sends RATS to an ISO 14443-4 type A card itself.
    public static let setParameters: UInt8 = 0x12
    public static let automaticRATSFlag: UInt8 = 0x10

    public let terminal: PseudoTerminal
    /// How long one activation try of InListPassiveTarget takes.
    public let activationTry: Duration
    private let state = Mutex(State())

    public init(linkedAt path: String, activationTry: Duration = .milliseconds(5)) throws {
        terminal = try PseudoTerminal(linkedAt: path)
        self.activationTry = activationTry
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    public func present(_ card: Card?) { state.withLock { $0.field.place(card) } }
    /// `fault` for the next command, or for the next `times` with `code` whose data starts with
    /// `dataPrefix`.
    public func schedule(_ fault: Fault, forCommand code: UInt8? = nil, dataPrefix: [UInt8] = [], times: Int = 1) {
        let scheduled = ScheduledFault(fault: fault, code: code, dataPrefix: dataPrefix)
        state.withLock { $0.faults += Array(repeating: scheduled, count: times) }
    }

    /// Scheduled faults no command has met yet.
    public var pendingFaults: Int { state.withLock { $0.faults.count } }
    /// Every command frame received, those ignored while busy or silenced included.
    public var commandsSeen: [UInt8] { state.withLock { $0.commandsSeen } }
    public var nacksSeen: Int { state.withLock { $0.nacksSeen } }
    /// Commands in progress the host aborted with its ACK frame.
    public var abortsSeen: Int { state.withLock { $0.abortsSeen } }
    public var passiveActivationRetries: UInt8 { state.withLock { $0.passiveActivationRetries } }

    /// Unplugs the emulated reader.
    public func unplug() {
        state.withLock { $0.running = false }
        terminal.close()
    }

    private func serve() {
        var decoder = PN532FrameDecoder()
        while state.withLock({ $0.running }) {
            let due = state.withLock { $0.busy?.due }
            let wait = due.map { max(.milliseconds(1), min(.milliseconds(20), $0 - .now)) } ?? .milliseconds(20)
            for output in decoder.feed(terminal.read(timeout: wait)) {
                guard state.withLock({ $0.running }) else { return }
                receive(output)
            }
            work()
        }
    }

    private func receive(_ output: PN532FrameDecoder.Output) {
        switch output {
        case .frame(.ack):
            state.withLock { state in
                guard state.busy != nil else { return }
                state.busy = nil
                state.abortsSeen += 1
            }
        case .frame(.nack):
            let last = state.withLock { state -> [UInt8]? in
                guard state.busy == nil else { return nil }
                state.nacksSeen += 1
                return state.lastResponse
            }
            if let last { terminal.write(last) }
        case .frame(.information(PN532Frame.hostToChip, let code, let data)):
            accept(code, data)
        default:
            break
        }
    }

    /// A command frame: ignored while busy or silenced, otherwise ACKed and queued.
    private func accept(_ code: UInt8, _ data: [UInt8]) {
        let acknowledged = state.withLock { state -> Bool in
            state.commandsSeen.append(code)
            guard state.busy == nil else { return false }
            if state.silentCommands > 0 {
                state.silentCommands -= 1
                return false
            }
            let fault = state.faults.firstIndex { $0.matches(code, data) }.map { state.faults.remove(at: $0).fault }
            if case .silence(let count) = fault {
                state.silentCommands = count - 1
                return false
            }
            let polling = code == PN532Command.inListPassiveTarget
            let retries = state.passiveActivationRetries
            state.busy = Busy(
                code: code, data: data, fault: fault, due: polling ? .now + activationTry : .now,
                triesLeft: polling && retries != 0xFF ? Int(retries) + 1 : nil)
            return true
        }
        if acknowledged { terminal.write(PN532Frame.ackBytes) }
    }

    private enum Outcome {
        case waiting
        case answer(code: UInt8, payload: [UInt8], fault: Fault?)
        case errorFrame
    }

    /// Runs the command in progress once it is due; an activation try that finds no card
    /// schedules the next one.
    private func work() {
        let outcome = state.withLock { state -> Outcome in
            guard var busy = state.busy, ContinuousClock.now >= busy.due else { return .waiting }
            if case .errorFrame? = busy.fault {
                state.busy = nil
                return .errorFrame
            }
            if busy.code == PN532Command.inListPassiveTarget {
                guard Self.isWellFormedPoll(busy.data) else {
                    state.busy = nil
                    return .errorFrame
                }
                guard let payload = tryActivation(&state, &busy) else {
                    state.busy = busy
                    return .waiting
                }
                state.busy = nil
                return .answer(code: busy.code, payload: payload, fault: busy.fault)
            }
            state.busy = nil
            guard let payload = execute(&state, busy.code, busy.data) else { return .errorFrame }
            return .answer(code: busy.code, payload: payload, fault: busy.fault)
        }
        guard case .answer(let code, let payload, let fault) = outcome else {
            if case .errorFrame = outcome { terminal.write(PN532Frame.error.bytes) }
            return
        }
        let response = PN532Frame.information(tfi: PN532Frame.chipToHost, code: code &+ 1, data: payload).bytes
        state.withLock { $0.lastResponse = response }
        switch fault {
        case .garbageBeforeResponse?: terminal.write([0x13, 0x37, 0x55, 0xAA, 0x00] + response)
        case .damagedResponse?:
            var damaged = response
            damaged[damaged.count - 2] ^= 0xFF
            terminal.write(damaged)
        default: terminal.write(response)
        }
    }

    /// InListPassiveTarget's parameters as UM0701-02 allows them: MaxTg 1 or 2, BrTy 0 to 4,
    /// and the InitiatorData each BrTy takes: for FeliCa (1, 2) the complete 5-byte polling
    /// payload, for type B (3) the AFI and an optional polling method, none for Jewel (4), for
    /// type A (0) none or a UID to select (4, 7 or 10 bytes).
    static func isWellFormedPoll(_ data: [UInt8]) -> Bool {
        guard data.count >= 2, (1...2).contains(data[0]) else { return false }
        let initiatorData = data.count - 2
        switch data[1] {
        case 0x00: return [0, 4, 7, 10].contains(initiatorData)
        case 0x01, 0x02: return initiatorData == 5
        case 0x03: return (1...2).contains(initiatorData)
        case 0x04: return initiatorData == 0
        default: return false
        }
    }

    /// One try of InListPassiveTarget (MaxTg, BrTy): the answer once a card is activated or the
    /// tries are used up, nil to try again.
    private func tryActivation(_ state: inout State, _ busy: inout Busy) -> [UInt8]? {
        if let target = state.field.activationTry(baudRateType: busy.data[1], automaticRATS: state.automaticRATS) {
            state.listedTarget = true
            return [0x01, 0x01] + target
        }
        if let left = busy.triesLeft {
            guard left > 1 else {
                state.listedTarget = false
                return [0x00]
            }
            busy.triesLeft = left - 1
        }
        busy.due += activationTry
        return nil
    }

    /// The answer to any other command; nil for a command this emulator does not know, which
    /// the chip answers with its error frame.
    private func execute(_ state: inout State, _ code: UInt8, _ data: [UInt8]) -> [UInt8]? {
        switch code {
        case PN532Command.getFirmwareVersion: return [0x32, 0x01, 0x06, 0x07]
        case PN532Command.samConfiguration: return []
        case Self.setParameters:
            guard data.count == 1 else { return nil }
            state.automaticRATS = data[0] & Self.automaticRATSFlag != 0
            return []
        case PN532Command.rfConfiguration:
            switch (data.first, data.count) {
            case (PN532Command.RFItem.field?, 2):
                if data[1] & 0x01 != 0 { state.field.switchOn() } else { state.field.switchOff() }
                if !state.field.isOn { state.listedTarget = false }
            case (PN532Command.RFItem.maxRetries?, 4): state.passiveActivationRetries = data[3]
            default: break
            }
            return []
        case PN532Command.inRelease:
            state.field.deselect()
            state.listedTarget = false
            return [0x00]
        case PN532Command.inDeselect:
            state.field.deselect()
            return [0x00]
        case PN532Command.inDataExchange:
            // 0x27: not acceptable in this context, as no target is activated.
            guard state.listedTarget, state.field.cardSelected else { return [0x27] }
            return [0x00] + Array(0..<16)
        default: return nil
        }
    }
}

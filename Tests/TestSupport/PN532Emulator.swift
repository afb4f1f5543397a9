import Foundation
import Synchronization
import TagReaders

/// A PN532 on the far side of a pseudo-terminal, answering the real HSU frames: ACK, then the
/// response; NACK makes it repeat its last response. Cards are put in and taken out of its
/// field by the test, and faults can be scheduled: garbage before a response, a damaged
/// response, silence.
public final class PN532Emulator: Sendable {
    public struct Card: Sendable, Equatable {
        public var uid: [UInt8]
        public var atqa: [UInt8]
        public var sak: UInt8

        public init(uid: [UInt8], atqa: [UInt8] = [0x00, 0x44], sak: UInt8 = 0x00) {
            self.uid = uid
            self.atqa = atqa
            self.sak = sak
        }
    }

    public enum Fault: Sendable {
        case garbageBeforeResponse
        case damagedResponse
        case silence(commands: Int)
    }

    private struct State {
        var card: Card?
        var faults: [Fault] = []
        var silentCommands = 0
        var lastResponse: [UInt8] = []
        var commandsSeen: [UInt8] = []
        var nacksSeen = 0
        var running = true
    }

    public let terminal: PseudoTerminal
    private let state = Mutex(State())

    public init(linkedAt path: String) throws {
        terminal = try PseudoTerminal(linkedAt: path)
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    public func present(_ card: Card?) { state.withLock { $0.card = card } }
    public func schedule(_ fault: Fault) { state.withLock { $0.faults.append(fault) } }
    public var commandsSeen: [UInt8] { state.withLock { $0.commandsSeen } }
    public var nacksSeen: Int { state.withLock { $0.nacksSeen } }

    /// Unplugs the emulated reader.
    public func unplug() {
        state.withLock { $0.running = false }
        terminal.close()
    }

    private func serve() {
        var decoder = PN532FrameDecoder()
        while state.withLock({ $0.running }) {
            for output in decoder.feed(terminal.read(timeout: .milliseconds(50))) {
                guard state.withLock({ $0.running }) else { return }
                switch output {
                case .frame(.nack):
                    let last = state.withLock { state in
                        state.nacksSeen += 1
                        return state.lastResponse
                    }
                    terminal.write(last)
                case .frame(.information(PN532Frame.hostToChip, let code, let data)):
                    answer(code, data)
                default:
                    break
                }
            }
        }
    }

    private func answer(_ code: UInt8, _ data: [UInt8]) {
        let (silent, fault, card) = state.withLock { state -> (Bool, Fault?, Card?) in
            state.commandsSeen.append(code)
            if state.silentCommands > 0 {
                state.silentCommands -= 1
                return (true, nil, nil)
            }
            let fault = state.faults.isEmpty ? nil : state.faults.removeFirst()
            if case .silence(let count) = fault {
                state.silentCommands = count - 1
                return (true, nil, nil)
            }
            return (false, fault, state.card)
        }
        guard !silent else { return }
        let payload: [UInt8]
        switch code {
        case PN532Session.getFirmwareVersion: payload = [0x32, 0x01, 0x06, 0x07]
        case PN532Session.samConfiguration: payload = []
        case PN532Session.inListPassiveTarget where data.count >= 2 && data[1] == 0x00:
            payload = card.map { [0x01, 0x01] + $0.atqa + [$0.sak, UInt8($0.uid.count)] + $0.uid } ?? [0x00]
        case PN532Session.inListPassiveTarget: payload = [0x00]
        case PN532Session.inDataExchange: payload = [0x00] + Array(0..<16)
        default:
            terminal.write(PN532Frame.error.bytes)
            return
        }
        let response = PN532Frame.information(tfi: PN532Frame.chipToHost, code: code &+ 1, data: payload).bytes
        state.withLock { $0.lastResponse = response }
        terminal.write(PN532Frame.ackBytes)
        switch fault {
        case .garbageBeforeResponse?: terminal.write([0x13, 0x37, 0x55, 0xAA, 0x00] + response)
        case .damagedResponse?:
            var damaged = response
            damaged[damaged.count - 2] ^= 0xFF
            terminal.write(damaged)
        default: terminal.write(response)
        }
    }
}

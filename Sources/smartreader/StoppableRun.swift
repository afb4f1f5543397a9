import ArgumentParser
import Foundation
import Synchronization
import UnixSignals

/// Runs the work of a command that starts processes of its own (a mosquitto, mosquitto_pub) and
/// makes temporary files (keys among them), so that it cleans up however it is stopped.
/// SIGINT, SIGTERM and SIGHUP (a closed terminal), or a reader of its output going away
/// (`demo | head`), cancel the work: its own error paths then stop what it started and remove
/// its files, and the command then ends by the signal, as a shell expects (a loop around it
/// stops at Ctrl-C). A second signal ends it at once, cleaned up or not. Without this, each of
/// those ended the process at once and left its broker running and its PKI on disk.
enum StoppableRun {
    /// Lines for standard output; a closed pipe stops the work rather than the process.
    struct Output: Sendable {
        fileprivate let failed: @Sendable (_ error: Int32) -> Void

        func line(_ text: String) {
            // Written at once, unbuffered, so each line shows as it arrives even when piped.
            var bytes = Array((text + "\n").utf8)[...]
            while !bytes.isEmpty {
                let written = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return failed(errno) }
                bytes = bytes.dropFirst(written)
            }
        }
    }

    /// Standard output refused a line for another reason than a closed pipe (a full disk).
    struct OutputFailure: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { "cannot write to standard output: \(String(cString: strerror(errno))); the work was stopped" }
    }

    private enum Stop {
        case signal(Int32)
        case outputFailed(errno: Int32)
    }

    static func run(_ work: @escaping @Sendable (Output) async throws -> Void) async throws {
        // A write to a closed pipe is then an EPIPE the output sees, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
        // Trapped before the work starts: a signal in between would take the default action.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        let stop = Mutex<Stop?>(nil)
        let task = Mutex<Task<Void, any Error>?>(nil)
        // Once the work has ended, a signal changes nothing: the command ends as its work did.
        let ended = Mutex(false)
        let request: @Sendable (Stop) -> Bool = { reason in
            guard !ended.withLock({ $0 }) else { return true }
            let first = stop.withLock { stopped in
                defer { stopped = stopped ?? reason }
                return stopped == nil
            }
            if first { task.withLock { $0 }?.cancel() }
            return first
        }
        let output = Output { error in _ = request(error == EPIPE ? .signal(SIGPIPE) : .outputFailed(errno: error)) }
        let running = Task {
            defer { ended.withLock { $0 = true } }
            try await work(output)
        }
        task.withLock { $0 = running }
        if stop.withLock({ $0 }) != nil { running.cancel() }  // its output failed before it could be cancelled
        let listener = Task {
            for await signal in signals {
                if request(.signal(signal.rawValue)) {
                    FileHandle.standardError.write(Data("\(signal): stopping (again to stop at once)\n".utf8))
                } else {
                    FileHandle.standardError.write(Data("\(signal) again: stopping at once, leaving what was started\n".utf8))
                    exit(128 + signal.rawValue)
                }
            }
        }
        defer { listener.cancel() }
        let result = await running.result
        switch stop.withLock({ $0 }) {
        case .signal(let number)?:
            // Ended by the signal itself, now that the work has cleaned up: a shell then stops too.
            signal(number, SIG_DFL)
            kill(getpid(), number)
            throw ExitCode(128 + number)
        case .outputFailed(let error)?:
            throw OutputFailure(errno: error)
        case nil:
            try result.get()
        }
    }
}

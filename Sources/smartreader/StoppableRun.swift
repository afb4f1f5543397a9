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

    /// What the work, the signals and the output share: one lock, so a stop requested before the
    /// work's task is known, or after the work has ended, is handled as such.
    private struct State {
        var task: Task<Void, any Error>?
        var stop: Stop?
        /// Once the work has ended, a signal changes nothing: the command ends as its work did.
        var ended = false
    }

    static func run(_ work: @escaping @Sendable (Output) async throws -> Void) async throws {
        // A write to a closed pipe is then an EPIPE the output sees, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
        // Trapped before the work starts: a signal in between would take the default action.
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm, .sighup)
        let state = Mutex(State())
        // False for a second request while the first is being served.
        let request: @Sendable (Stop) -> Bool = { reason in
            let (first, task) = state.withLock { state -> (Bool, Task<Void, any Error>?) in
                guard !state.ended else { return (true, nil) }
                defer { state.stop = state.stop ?? reason }
                return (state.stop == nil, state.task)
            }
            if first { task?.cancel() }
            return first
        }
        let output = Output { error in _ = request(error == EPIPE ? .signal(SIGPIPE) : .outputFailed(errno: error)) }
        let running = Task {
            defer { state.withLock { $0.ended = true } }
            try await work(output)
        }
        // A stop requested before the task was known (its first line failed) cancels it now.
        let stoppedAlready = state.withLock { state in
            state.task = running
            return state.stop != nil
        }
        if stoppedAlready { running.cancel() }
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
        switch state.withLock({ $0.stop }) {
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

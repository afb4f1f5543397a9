import ArgumentParser
import Foundation
import Synchronization
import UnixSignals

/// Runs the work of a command that starts processes of its own (a mosquitto, mosquitto_pub) and
/// makes temporary files (keys among them), so that it cleans up however it is stopped.
/// SIGINT and SIGTERM, or a reader of its output going away (`demo | head`), cancel the work:
/// its own error paths then stop what it started and remove its files, and the command exits as
/// the signal would have ended it (130, 143; 141 for the closed pipe). Without this, each of
/// those ended the process at once and left its broker running and its PKI on disk.
enum StoppableRun {
    /// Lines for standard output; a closed pipe stops the work rather than the process.
    struct Output: Sendable {
        fileprivate let closed: @Sendable () -> Void

        func line(_ text: String) {
            do {
                // Unbuffered, so each line shows as it arrives even when piped.
                try FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
            } catch {
                closed()
            }
        }
    }

    static func run(_ work: @escaping @Sendable (Output) async throws -> Void) async throws {
        // A write to a closed pipe is then an EPIPE error the output sees, not the end of the process.
        signal(SIGPIPE, SIG_IGN)
        let stoppedBy = Mutex<Int32?>(nil)
        let task = Mutex<Task<Void, any Error>?>(nil)
        let stop: @Sendable (Int32) -> Void = { signal in
            if stoppedBy.withLock({ stopped in
                defer { stopped = stopped ?? signal }
                return stopped == nil
            }) {
                task.withLock { $0 }?.cancel()
            }
        }
        let output = Output { stop(SIGPIPE) }
        let running = Task { try await work(output) }
        task.withLock { $0 = running }
        if stoppedBy.withLock({ $0 }) != nil { running.cancel() }  // its output closed before it could be cancelled
        let signals = Task {
            for await signal in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                FileHandle.standardError.write(Data("\(signal): stopping\n".utf8))
                stop(signal.rawValue)
            }
        }
        defer { signals.cancel() }
        let result = await running.result
        if let signal = stoppedBy.withLock({ $0 }) { throw ExitCode(128 + signal) }
        try result.get()
    }
}

import Foundation
import HostSystem
import Logging
import SpringCore

/// The gateway's real outputs: an operator's program run for each valid command on `rdr/cmd`,
/// its standard input the command in the READER COMMAND form and its one argument the device's
/// serial number, so a relay command can open a real gate. Commands wait their turn in a short
/// queue (a gate must see "open" before "close") served by a task of its own: the reader and the
/// MQTT client never wait for a hook, and a hook still running at its timeout is killed with its
/// process group (whatever it started). Its output is captured and logged as one line.
public final class CommandHook: Sendable {
    public let executable: String
    public let timeout: Duration
    private let queue: AsyncStream<(device: String, command: ReaderCommand)>.Continuation
    private let worker: Task<Void, Never>

    /// Commands beyond this many waiting are dropped (and logged): a hook that cannot keep up
    /// must not make the daemon's memory grow.
    public static let queueLimit = 32

    public init(executable: String, timeout: Duration = .seconds(10), logger: Logger) {
        self.executable = executable
        self.timeout = timeout
        let (stream, continuation) = AsyncStream.makeStream(
            of: (device: String, command: ReaderCommand).self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
        queue = continuation
        worker = Task {
            for await (device, command) in stream {
                await Self.run(executable: executable, device: device, command: command, timeout: timeout, logger: logger)
            }
        }
    }

    deinit {
        queue.finish()
        worker.cancel()
    }

    /// Queues the command and returns at once.
    public func submit(_ command: ReaderCommand, device: String, logger: Logger) {
        if case .dropped = queue.yield((device, command)) {
            logger.warning("command hook \(executable) is behind by \(Self.queueLimit) commands: dropped \(command.json)")
        }
    }

    private static func run(executable: String, device: String, command: ReaderCommand, timeout: Duration, logger: Logger) async {
        let input = NSTemporaryDirectory() + "smartreader-command-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: input) }
        guard FileManager.default.createFile(atPath: input, contents: Data(command.json.utf8), attributes: [.posixPermissions: 0o600])
        else {
            logger.error("command hook: cannot write \(input); the hook was not run for \(command.json)")
            return
        }
        let output: CommandHookOutput
        let child: ChildProcess
        do {
            output = try CommandHookOutput()
            child = try ChildProcess(
                executable: executable, arguments: [device], input: input, output: .descriptor(output.writeEnd), ownProcessGroup: true)
        } catch {
            logger.error("command hook: \(error); check --command-hook names an executable file")
            return
        }
        output.closeWriteEnd()
        let status = await waitForExit(child, output: output, timeout: timeout)
        if status == nil {
            logger.warning("command hook \(executable) still ran after \(timeout) for \(command.json): killed with its process group")
            await child.terminateGroup(grace: .seconds(1))
            output.drain()
        }
        // The handlers escape control characters: the hook's text stays on this one line.
        if let text = output.summary { logger.info("command hook \(executable) wrote: \(text)") }
        if let status, status != 0 { logger.warning("command hook \(executable) exited with \(status) for \(command.json)") }
    }

    /// The hook's exit status, or nil if it still runs after `timeout`; its output read meanwhile.
    private static func waitForExit(_ child: ChildProcess, output: CommandHookOutput, timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            output.drain()
            if let status = child.exitStatus() {
                output.drain()
                return status
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

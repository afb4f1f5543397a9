import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A child process started with a clean signal state. Foundation's `Process` passes on the
/// signal mask of the thread that spawns it, and the threads of Swift's concurrency pool block
/// SIGTERM, SIGINT and SIGHUP: a broker started that way ignores SIGTERM and outlives us.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    public enum Output: Sendable {
        case inherit
        case file(String)
        /// Standard output and error go to this descriptor (e.g. the write end of a `Pipe`).
        case descriptor(Int32)
    }

    /// `input` is a file to read standard input from; /dev/null otherwise. With `ownProcessGroup`
    /// the child leads a process group of its own, so `terminateGroup` reaches whatever it started.
    public init(
        executable: String, arguments: [String], input: String = "/dev/null", output: Output = .inherit, ownProcessGroup: Bool = false
    ) throws {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        switch output {
        case .inherit:
            break
        case .file(let path):
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .descriptor(let fd):
            posix_spawn_file_actions_adddup2(&actions, fd, 1)
            posix_spawn_file_actions_adddup2(&actions, fd, 2)
        }
        // Nothing else is inherited: a child holding a copy of one of our descriptors would keep
        // a socket or a pty open after we close it (a "replugged" reader would never hang up).
        _ = Self.addCloseFrom?(&actions, 3)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else { throw ChildProcessError.spawnFailed(executable: executable, reason: String(cString: strerror(result))) }
        self.pid = pid
    }

    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does
    /// not export; looked up once, and absent on an older libc (children then inherit as before).
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    public func signal(_ number: Int32) { kill(pid, number) }

    /// Whether the child has a handler for signal `number` now (Linux: /proc/PID/status, SigCgt).
    /// A server may listen before it sets its handlers, as mosquitto does: a SIGHUP sent in between
    /// takes the default action and ends it.
    public func catches(_ number: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
            let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return number >= 1 && number <= 64 && mask & (1 << UInt64(number - 1)) != 0
    }

    /// The exit status once the child has ended, nil while it runs. Reaps it.
    public func exitStatus() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result < 0 ? -1 : nil }
        return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }

    /// Waits for the child to end, polling so no thread of the concurrency pool is blocked.
    @discardableResult
    public func waitForExit() async -> Int32 {
        // Without a deadline the wait ends only with a status.
        await waitForExit(timeout: nil)!
    }

    /// The exit status once the child ends, or nil if it still runs after `timeout`.
    public func waitForExit(timeout: Duration?) async -> Int32? {
        // The polling runs in a task of its own: a cancelled caller (Ctrl-C while a broker is
        // stopped) still waits, and its sleeps, cut short by cancellation, would spin a core.
        await Task {
            let deadline = timeout.map { ContinuousClock.now + $0 }
            while deadline.map({ ContinuousClock.now < $0 }) ?? true {
                if let status = exitStatus() { return status }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return exitStatus()
        }.value
    }

    /// Waits for the child to end; a cancelled caller ends it first, as the work it was waiting
    /// for is no longer wanted: SIGTERM, then SIGKILL if it still runs after `grace` (it ignores
    /// SIGTERM, or is stopped), so the caller is never held for ever.
    public func waitForExitEndingItIfCancelled(grace: Duration = .seconds(5)) async -> Int32 {
        await withTaskCancellationHandler {
            await waitForExit()
        } onCancel: {
            signal(SIGTERM)
            Task {
                try? await Task.sleep(for: grace)
                if isRunning { signal(SIGKILL) }
            }
        }
    }

    /// Whether the child has not ended yet, without reaping it (waitid, WNOWAIT): once the wait
    /// above has reaped it, its number may be another process's, which must not be signalled.
    var isRunning: Bool {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 else { return false }
        return info._sifields._kill.si_pid == 0
    }

    /// For a child started with `ownProcessGroup`: SIGTERM to the whole group, then SIGKILL to
    /// what is left of it after `grace` (the child's own children included, even if it has ended).
    public func terminateGroup(grace: Duration = .seconds(5)) async {
        kill(-pid, SIGTERM)
        _ = await waitForExit(timeout: grace)
        kill(-pid, SIGKILL)
        await waitForExit()
    }

    /// SIGTERM, then SIGKILL if the child has not ended within `grace`.
    public func terminate(grace: Duration = .seconds(5)) async {
        signal(SIGTERM)
        guard await waitForExit(timeout: grace) == nil else { return }
        signal(SIGKILL)
        await waitForExit()
    }
}

public enum ChildProcessError: Error, Sendable, CustomStringConvertible {
    case spawnFailed(executable: String, reason: String)

    public var description: String {
        switch self {
        case .spawnFailed(let executable, let reason): "cannot start \(executable): \(reason)"
        }
    }
}

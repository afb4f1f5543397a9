import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What a command hook writes on its standard output and error: a pipe of its own, so that the
/// hook's text never reaches the daemon's log stream raw (where it would splice into log lines
/// and break `--log-format json`). The first `limit` bytes are kept to be logged as one line;
/// the rest is read and counted, so a chatty hook never blocks on a full pipe.
final class CommandHookOutput {
    static let limit = 1024
    /// The write end, for the child; closed here once the child has it.
    private(set) var writeEnd: Int32
    private let readEnd: Int32
    private(set) var kept: [UInt8] = []
    private(set) var total = 0

    init() throws(CommandHookOutputError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw .noPipe(String(cString: strerror(errno))) }
        // Glibc's module does not export pipe2: the flags are set at once, before any child is spawned from here.
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        closeWriteEnd()
        close(readEnd)
    }

    /// After the child has started: from then on only the child (and what it starts) can write.
    func closeWriteEnd() {
        guard writeEnd >= 0 else { return }
        close(writeEnd)
        writeEnd = -1
    }

    /// Reads what is there now, without waiting: a background process the hook left running may
    /// hold the pipe open for good, so the end of the hook, not the end of the pipe, ends the reading.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            total += count
            if kept.count < Self.limit { kept += buffer[0..<min(count, Self.limit - kept.count)] }
        }
    }

    /// One line's worth: the text kept, and what was left out. Nil when the hook wrote nothing.
    var summary: String? {
        guard total > 0 else { return nil }
        let text = String(decoding: kept, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return total > kept.count ? "\(text) [\(total - kept.count) more bytes not shown]" : text
    }
}

enum CommandHookOutputError: Error, CustomStringConvertible {
    case noPipe(String)

    var description: String {
        switch self {
        case .noPipe(let reason): "cannot make a pipe for the hook's output: \(reason)"
        }
    }
}

import DeviceIdentity
import Foundation
import HostSystem
import Logging
import SpringCore
import TagReaders

#if canImport(Glibc)
    import Glibc
#endif

/// `inbox/` in the state directory: a CONFIG-DATA file dropped there (by scp, rsync, Ansible) is
/// pushed to the device, then moved to `inbox/applied/` or `inbox/rejected/` with a `.result`
/// file beside it saying what happened. Names starting with `.` or ending in `.tmp`, `.part` or
/// `~` are ignored until renamed, so a writer that renames into place is never read half-done.
public struct ConfigurationInbox: Sendable {
    public let directory: String

    public init(state: DeviceStateDirectory) { directory = state.file("inbox") }

    public static func isCandidate(_ name: String) -> Bool {
        !name.hasPrefix(".") && !name.hasSuffix(".tmp") && !name.hasSuffix(".part") && !name.hasSuffix("~") && name != "applied"
            && name != "rejected"
    }

    /// Applies files already waiting, then each new one, until the task is cancelled.
    public func run(controller: DeviceController, logger: Logger) async throws {
        // Owner-only like the rest of the state directory: a pushed file may hold the MQTT password.
        for sub in ["", "/applied", "/rejected"] { try ProtectedFile.makeDirectory(directory + sub) }
        let arrivals = DirectoryArrivals.names(in: directory, logger: logger)
        for name in waitingFiles() { await take(name, controller: controller, logger: logger) }
        for await name in arrivals where Self.isCandidate(name) {
            await take(name, controller: controller, logger: logger)
        }
    }

    private func waitingFiles() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter(Self.isCandidate).sorted()
    }

    private func take(_ name: String, controller: DeviceController, logger: Logger) async {
        let path = "\(directory)/\(name)"
        var status = stat()
        // Gone already (filed away after an earlier event), or a directory: nothing to take.
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else { return }
        let source = "inbox/\(name)"
        let outcome: ConfigurationOutcome
        do {
            // A link, a FIFO or a device is refused unread: nothing of a link's target reaches the .result or cfg/result.
            let content = try ConfigData.read(path)
            logger.info("inbox: \(name) arrived")
            outcome = await controller.apply(ConfigurationPush(content: content, source: source))
        } catch {
            outcome = ConfigurationOutcome(result: .rejected, source: source, reason: error.description)
            logger.error("inbox: \(outcome)")
        }
        let destination = "\(directory)/\(outcome.succeeded ? "applied" : "rejected")/\(name)"
        try? FileManager.default.removeItem(atPath: destination)
        do {
            try FileManager.default.moveItem(atPath: path, toPath: destination)
            // chmod follows a symbolic link: restrict only what was a regular file.
            if status.st_mode & S_IFMT == S_IFREG { chmod(destination, 0o600) }
            try ProtectedFile.write(outcome.json + "\n", to: destination + ".result", mode: 0o600)
        } catch {
            logger.error("inbox: could not file \(name) away: \(error)")
        }
    }
}

/// Names of files written or moved into a directory, from inotify; where inotify cannot be
/// used, from a scan every two seconds.
enum DirectoryArrivals {
    /// The watch is in place when this returns, so a file dropped after the caller's first scan
    /// of the directory is not missed.
    static func names(in directory: String, logger: Logger) -> AsyncStream<String> {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        let watch = descriptor >= 0 ? inotify_add_watch(descriptor, directory, UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) : -1
        if watch < 0 {
            logger.warning("inotify unavailable for \(directory) (\(String(cString: strerror(errno)))); scanning it every 2 s instead")
        }
        return ThreadFedStream.make(of: String.self, name: "inbox") { yield, running in
            defer { if descriptor >= 0 { close(descriptor) } }
            var known = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            while running() {
                if watch >= 0 {
                    for name in readEvents(descriptor) { yield(name) }
                } else {
                    Thread.sleep(forTimeInterval: 2)
                    let now = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                    for name in now.subtracting(known).sorted() { yield(name) }
                    known = now
                }
            }
        }
    }

    /// Waits up to 250 ms for events, so the thread notices when it is no longer wanted.
    private static func readEvents(_ descriptor: Int32) -> [String] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 250) > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return [] }
        var names: [String] = []
        var offset = 0
        // struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of NUL-padded name.
        while offset + 16 <= count {
            let length = buffer[offset + 12..<offset + 16].withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self)) }
            let name = buffer[offset + 16..<min(count, offset + 16 + length)].prefix { $0 != 0 }
            if !name.isEmpty { names.append(String(decoding: name, as: UTF8.self)) }
            offset += 16 + length
        }
        return names
    }
}

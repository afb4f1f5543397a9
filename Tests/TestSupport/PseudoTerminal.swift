import Foundation
import HostSystem
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A pseudo-terminal standing in for a serial device: the reader opens `path` (a symlink to
/// the pty's device, so a "replugged" device can appear at the same path), the test drives the
/// other side through `controller`.
///
/// Every use of the descriptors holds a lock that `close()` takes too: a descriptor closed
/// while another thread still polls it could be reused by a socket, and that thread would then
/// read someone else's bytes.
public final class PseudoTerminal: Sendable {
    public let path: String
    private let descriptors: Mutex<(controller: Int32, device: Int32)?>

    public init(linkedAt path: String) throws {
        var controller: Int32 = 0
        var device: Int32 = 0
        guard openpty(&controller, &device, nil, nil, nil) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        // Not inherited by processes other tests spawn: a copy there would keep the pty open after close().
        _ = fcntl(controller, F_SETFD, FD_CLOEXEC)
        _ = fcntl(device, F_SETFD, FD_CLOEXEC)
        // Raw from the start, so nothing written before the reader opens it is echoed back.
        var settings = termios()
        tcgetattr(device, &settings)
        cfmakeraw(&settings)
        tcsetattr(device, TCSANOW, &settings)
        descriptors = Mutex((controller, device))
        self.path = path
        // ttyname_r, not ttyname: ttyname's static buffer is shared by tests making ptys at
        // the same time, and a link could point at another test's pty.
        var name = [CChar](repeating: 0, count: 128)
        let status = ttyname_r(device, &name, name.count)
        guard status == 0 else { throw POSIXError(.init(rawValue: status) ?? .EIO) }
        let target = String(nulTerminated: name)
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    public func write(_ bytes: [UInt8]) {
        descriptors.withLock { open in
            guard let controller = open?.controller else { return }
            _ = bytes.withUnsafeBytes { Glibc.write(controller, $0.baseAddress, $0.count) }
        }
    }

    /// Bytes the reader wrote, waiting up to `timeout` (keep it short: `close()` waits for it).
    public func read(timeout: Duration) -> [UInt8] {
        descriptors.withLock { open in
            guard let controller = open?.controller else { return [] }
            var poller = pollfd(fd: controller, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(timeout / .milliseconds(1))) > 0 else { return [] }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { Glibc.read(controller, $0.baseAddress, $0.count) }
            return count > 0 ? Array(buffer.prefix(count)) : []
        }
    }

    deinit { close() }

    /// The device is unplugged: the reader's next read fails. Closing twice is harmless.
    public func close() {
        descriptors.withLock { open in
            guard let (controller, device) = open else { return }
            Glibc.close(device)
            Glibc.close(controller)
            open = nil
        }
    }
}

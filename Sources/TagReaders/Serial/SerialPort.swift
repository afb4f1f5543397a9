#if canImport(Glibc)
    import Glibc
#endif

/// A serial port opened raw (8N1, no flow control, no echo, no line discipline), read with
/// timeouts. Blocking by design: each live reader owns a thread, so a read never holds up
/// the event loops or the concurrency pool.
public final class SerialPort {
    public let path: String
    private var descriptor: Int32

    public init(path: String, baud: Int) throws(ReaderError) {
        self.path = path
        descriptor = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReaderError.system(path: path, operation: "open", errno: errno) }
        var settings = termios()
        guard tcgetattr(descriptor, &settings) == 0 else {
            let code = errno
            close(descriptor)
            throw ReaderError.system(path: path, operation: "read the line settings of", errno: code)
        }
        cfmakeraw(&settings)
        settings.c_cflag |= tcflag_t(CLOCAL) | tcflag_t(CREAD)
        settings.c_cflag &= ~(tcflag_t(CSTOPB) | tcflag_t(CRTSCTS))
        let speed = Self.speedConstant(baud)
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        guard tcsetattr(descriptor, TCSANOW, &settings) == 0 else {
            let code = errno
            close(descriptor)
            throw ReaderError.system(path: path, operation: "set the line settings of", errno: code)
        }
        tcflush(descriptor, TCIOFLUSH)
    }

    deinit { close(descriptor) }

    /// Bytes available within `timeout`, empty if none came. A vanished device (EIO, ENXIO,
    /// end of file) is `ReaderError.gone`.
    public func read(timeout: Duration, maximum: Int = 4096) throws(ReaderError) -> [UInt8] {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout / .milliseconds(1))
        let ready = poll(&poller, 1, milliseconds)
        if ready < 0 {
            if errno == EINTR { return [] }
            throw ReaderError.system(path: path, operation: "wait for", errno: errno)
        }
        guard ready > 0 else { return [] }
        if poller.revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 && poller.revents & Int16(POLLIN) == 0 {
            throw ReaderError.gone(path: path)
        }
        var buffer = [UInt8](repeating: 0, count: maximum)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            if errno == EIO || errno == ENXIO || errno == ENODEV { throw ReaderError.gone(path: path) }
            throw ReaderError.system(path: path, operation: "read", errno: errno)
        }
        guard count > 0 else { throw ReaderError.gone(path: path) }
        return Array(buffer.prefix(count))
    }

    public func write(_ bytes: [UInt8]) throws(ReaderError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR {
                    var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&poller, 1, 100)
                    continue
                }
                if errno == EIO || errno == ENXIO || errno == ENODEV { throw ReaderError.gone(path: path) }
                throw ReaderError.system(path: path, operation: "write to", errno: errno)
            }
            offset += written
        }
    }

    static func speedConstant(_ baud: Int) -> speed_t {
        switch baud {
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 230_400: speed_t(B230400)
        default: speed_t(B115200)
        }
    }
}

/// Why a reader cannot be used; each says what to check.
public enum ReaderError: Error, Equatable, Sendable, CustomStringConvertible {
    case system(path: String, operation: String, errno: Int32)
    case gone(path: String)
    case protocolFailure(path: String, reason: String)

    public var description: String {
        switch self {
        case .system(let path, let operation, let code):
            let hint =
                code == EACCES
                ? " (add the user to the dialout group for serial ports, input for /dev/input)"
                : code == ENOENT ? " (is the reader plugged in? `smartreader readers` lists what is there)" : ""
            return "cannot \(operation) \(path): \(String(cString: strerror(code)))\(hint)"
        case .gone(let path):
            return "\(path) went away (unplugged?); waiting for it to come back"
        case .protocolFailure(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}

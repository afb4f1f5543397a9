import Foundation
import SpringCore

#if canImport(Glibc)
    import Glibc
#endif

/// Tags typed by a HID keyboard-emulation reader, from Linux evdev `input_event` records
/// (24 bytes on 64-bit Linux: time (16), type, code, value). A tag is the characters typed
/// before Enter, hex or decimal.
public struct EvdevKeyboardDecoder: Sendable {
    public static let recordSize = 24
    static let keyEvent: UInt16 = 1

    public let layout: KeyboardLayout
    public let suffix: KeySuffix
    private var pending: [UInt8] = []
    private var shiftKeys = Set<UInt16>()
    private var typed = ""

    public init(layout: KeyboardLayout, suffix: KeySuffix = .enter) {
        self.layout = layout
        self.suffix = suffix
    }

    private func endsTag(_ code: UInt16) -> Bool {
        switch suffix {
        case .enter: code == KeyboardLayoutMap.enter || code == KeyboardLayoutMap.keypadEnter
        case .tab: code == KeyboardLayoutMap.tab
        }
    }

    public mutating func feed(_ bytes: [UInt8]) -> [SerialTextDecoder.Output] {
        pending += bytes
        var outputs: [SerialTextDecoder.Output] = []
        while pending.count >= Self.recordSize {
            let record = Array(pending.prefix(Self.recordSize))
            pending.removeFirst(Self.recordSize)
            let type = UInt16(record[16]) | UInt16(record[17]) << 8
            let code = UInt16(record[18]) | UInt16(record[19]) << 8
            let value = Int32(
                bitPattern: UInt32(record[20]) | UInt32(record[21]) << 8 | UInt32(record[22]) << 16 | UInt32(record[23]) << 24)
            guard type == Self.keyEvent else { continue }
            if code == KeyboardLayoutMap.leftShift || code == KeyboardLayoutMap.rightShift {
                if value == 0 { shiftKeys.remove(code) } else { shiftKeys.insert(code) }
                continue
            }
            // Key presses only; releases and auto-repeat type nothing.
            guard value == 1 else { continue }
            if endsTag(code) {
                if !typed.isEmpty { outputs.append(SerialTextDecoder.plain(typed)) }
                typed = ""
            } else if let character = KeyboardLayoutMap.character(code: code, shifted: !shiftKeys.isEmpty, layout: layout) {
                typed.append(character)
                if typed.count > 64 {
                    outputs.append(
                        .dropped("64 characters typed without the suffix (\(suffix.rawValue)); check the reader's suffix and layout"))
                    typed = ""
                }
            }
        }
        return outputs
    }

    /// One `input_event` record, as the kernel writes it (for recordings and tests).
    public static func record(code: UInt16, value: Int32, type: UInt16 = 1) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + [UInt8(type & 0xFF), UInt8(type >> 8), UInt8(code & 0xFF), UInt8(code >> 8)]
            + withUnsafeBytes(of: value.littleEndian, Array.init)
    }
}

/// A HID keyboard reader at `/dev/input/eventN`, grabbed (EVIOCGRAB) so what it types does not
/// also reach a console or a logged-in session.
public struct HIDKeyboardReader: TagSourceDriver {
    public let path: String
    public let layout: KeyboardLayout
    public let suffix: KeySuffix
    /// _IOW('E', 0x90, int)
    static let grabRequest: UInt = 0x4004_4590

    public init(path: String, layout: KeyboardLayout, suffix: KeySuffix = .enter) {
        self.path = path
        self.layout = layout
        self.suffix = suffix
    }

    public func run(emit: (TagEvent) -> Void, running: () -> Bool, log: (String) -> Void) throws(ReaderError) {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path: path, operation: "open", errno: errno) }
        defer { close(descriptor) }
        if ioctl(descriptor, Self.grabRequest, 1) != 0 {
            throw .system(path: path, operation: "grab (EVIOCGRAB; another program holds it?)", errno: errno)
        }
        log("\(path): grabbed, reading keys as \(layout.rawValue)")
        var decoder = EvdevKeyboardDecoder(layout: layout, suffix: suffix)
        var buffer = [UInt8](repeating: 0, count: EvdevKeyboardDecoder.recordSize * 64)
        while running() {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 200) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                if errno == ENODEV || errno == EIO { throw .gone(path: path) }
                throw .system(path: path, operation: "read", errno: errno)
            }
            guard count > 0 else { throw .gone(path: path) }
            for output in decoder.feed(Array(buffer.prefix(count))) { output.deliver(from: path, emit: emit, log: log) }
        }
    }
}

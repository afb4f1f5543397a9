import SpringCore

/// Where tags come from, as `--reader` and device profiles name it.
public enum ReaderURI: Sendable, Equatable, CustomStringConvertible {
    /// `readNTAGPages`: user memory of NTAG/Ultralight tags (page 4 on) becomes TagData.
    case pn532(path: String, baud: Int, readNTAGPages: Bool = false)
    case serial(path: String, baud: Int, protocol: SerialTextProtocol)
    case hid(path: String, layout: KeyboardLayout, suffix: KeySuffix = .enter)
    case hidUSB(vendor: UInt16, product: UInt16?, layout: KeyboardLayout, suffix: KeySuffix = .enter)
    case trace(path: String, speed: Double?)
    case auto

    public static let acceptedForms = """
        pn532:/dev/ttyUSB0[?baud=115200&data=ntag]   (data=ntag: NTAG/Ultralight pages 4-7 as TagData)
        serial:/dev/ttyACM0[?baud=115200&protocol=auto|scrdr|mk1|lines|rdm6300]
        hid:/dev/input/event3[?layout=qwerty|azerty|qwertz&suffix=enter|tab]
        hid:usb:1c34:*[?layout=...&suffix=...]   (a HID reader found by USB vendor and product id)
        trace:FILE[?speed=X]          (speed 0 replays as fast as possible)
        auto                          (the first known reader discovered)
        """

    public init(parsing text: String) throws(ReaderURIError) {
        if text == "auto" {
            self = .auto
            return
        }
        guard let colon = text.firstIndex(of: ":") else { throw .malformed(text, reason: "no scheme") }
        let scheme = String(text[..<colon])
        let rest = text[text.index(after: colon)...]
        let (path, query) = try Self.split(rest, in: text)
        func option(_ name: String) -> String? { query[name] }
        func baud() throws(ReaderURIError) -> Int {
            guard let value = option("baud") else { return 115_200 }
            guard let baud = Int(value), SerialSpeed.supported.contains(baud) else {
                throw .malformed(
                    text, reason: "baud \(value) is not one of \(SerialSpeed.supported.map(String.init).joined(separator: ", "))")
            }
            return baud
        }
        func layout() throws(ReaderURIError) -> KeyboardLayout {
            guard let value = option("layout") else { return .qwerty }
            guard let layout = KeyboardLayout(rawValue: value) else {
                throw .malformed(text, reason: "layout \(value) is not qwerty, azerty or qwertz")
            }
            return layout
        }
        func suffix() throws(ReaderURIError) -> KeySuffix {
            guard let value = option("suffix") else { return .enter }
            guard let suffix = KeySuffix(rawValue: value) else { throw .malformed(text, reason: "suffix \(value) is not enter or tab") }
            return suffix
        }
        func known(_ names: Set<String>) throws(ReaderURIError) {
            if let unknown = query.keys.sorted().first(where: { !names.contains($0) }) {
                throw .malformed(text, reason: "\(scheme): does not take \"\(unknown)\"")
            }
        }
        guard !path.isEmpty else { throw .malformed(text, reason: "no device path or file") }
        switch scheme {
        case "pn532":
            try known(["baud", "data"])
            guard option("data") == nil || option("data") == "ntag" else {
                throw .malformed(text, reason: "data=\(option("data")!) is not data=ntag")
            }
            self = .pn532(path: path, baud: try baud(), readNTAGPages: option("data") == "ntag")
        case "serial":
            try known(["baud", "protocol"])
            let name = option("protocol") ?? "auto"
            guard let textProtocol = SerialTextProtocol(rawValue: name) else {
                throw .malformed(text, reason: "protocol \(name) is not auto, scrdr, mk1, lines or rdm6300")
            }
            self = .serial(path: path, baud: try baud(), protocol: textProtocol)
        case "hid" where path.hasPrefix("usb:"):
            try known(["layout", "suffix"])
            let ids = path.dropFirst(4).split(separator: ":", omittingEmptySubsequences: false)
            guard ids.count == 2, let vendor = UInt16(ids[0], radix: 16), ids[1] == "*" || UInt16(ids[1], radix: 16) != nil else {
                throw .malformed(text, reason: "USB ids are VENDOR:PRODUCT in hex, PRODUCT may be *")
            }
            self = .hidUSB(
                vendor: vendor, product: ids[1] == "*" ? nil : UInt16(ids[1], radix: 16), layout: try layout(), suffix: try suffix())
        case "hid":
            try known(["layout", "suffix"])
            self = .hid(path: path, layout: try layout(), suffix: try suffix())
        case "trace":
            try known(["speed"])
            var speed: Double? = 1
            if let value = option("speed") {
                let speeds = TraceReplaySource.speeds
                guard let parsed = Double(value), parsed == 0 || speeds.contains(parsed) else {
                    throw .malformed(
                        text,
                        reason: "speed \(value) must be 0 (as fast as possible) or from \(speeds.lowerBound) to \(Int(speeds.upperBound))")
                }
                speed = parsed == 0 ? nil : parsed
            }
            self = .trace(path: path, speed: speed)
        default:
            throw .malformed(text, reason: "unknown scheme \"\(scheme)\"")
        }
    }

    private static func split(_ rest: Substring, in text: String) throws(ReaderURIError) -> (String, [String: String]) {
        let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [String: String] = [:]
        if parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1)
                guard keyValue.count == 2 else { throw .malformed(text, reason: "\"\(pair)\" is not NAME=VALUE") }
                query[String(keyValue[0])] = String(keyValue[1])
            }
        }
        return (String(parts[0]), query)
    }

    public var description: String {
        switch self {
        case .pn532(let path, let baud, let readNTAGPages): "pn532:\(path)?baud=\(baud)\(readNTAGPages ? "&data=ntag" : "")"
        case .serial(let path, let baud, let textProtocol): "serial:\(path)?baud=\(baud)&protocol=\(textProtocol.rawValue)"
        case .hid(let path, let layout, let suffix): "hid:\(path)?layout=\(layout.rawValue)&suffix=\(suffix.rawValue)"
        case .hidUSB(let vendor, let product, let layout, let suffix):
            "hid:usb:\(usbID(vendor)):\(product.map { usbID($0) } ?? "*")?layout=\(layout.rawValue)&suffix=\(suffix.rawValue)"
        case .trace(let path, let speed): "trace:\(path)?speed=\(speed ?? 0)"
        case .auto: "auto"
        }
    }
}

/// A USB id as four lower-case hex digits, as lsusb and sysfs write it.
func usbID(_ value: UInt16) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

public enum ReaderURIError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let text, let reason): "reader \"\(text)\": \(reason); the accepted forms are:\n\(ReaderURI.acceptedForms)"
        }
    }
}

/// The serial text protocols a reader may speak; `auto` tells them apart from the first lines.
public enum SerialTextProtocol: String, Sendable, CaseIterable {
    case auto, scrdr, mk1, lines, rdm6300
}

/// The key a HID reader types after each identifier.
public enum KeySuffix: String, Sendable, CaseIterable {
    case enter, tab
}

/// Line speeds the serial port accepts.
public enum SerialSpeed {
    public static let supported = [9600, 19200, 38400, 57600, 115_200, 230_400]
}

import Logging

/// Any tag source, live or replayed, as the daemon consumes it.
public typealias TagSource = any AsyncSequence<TagEvent, Never> & Sendable

extension ReaderURI {
    /// The source this URI names. Live readers open (and reopen) on a thread of their own;
    /// `auto` and `hid:usb:` look for their device at each attempt, so a reader plugged in later
    /// is found.
    public func makeSource(discovery: ReaderDiscovery = ReaderDiscovery(), logger: Logger) throws -> TagSource {
        if case .trace(let path, let speed) = self { return TraceReplaySource(trace: try Trace.load(contentsOf: path), speed: speed) }
        return LiveTagSource(driver: directDriver ?? DiscoveredReaderDriver(uri: self, discovery: discovery), logger: logger)
    }

    /// The driver for a reader named by its device path; nil for the other forms.
    var directDriver: (any TagSourceDriver)? {
        switch self {
        case .pn532(let path, let baud, let readNTAGPages): PN532Reader(path: path, baud: baud, readNTAGPages: readNTAGPages)
        case .serial(let path, let baud, let textProtocol): SerialTextReader(path: path, baud: baud, textProtocol: textProtocol)
        case .hid(let path, let layout, let suffix): HIDKeyboardReader(path: path, layout: layout, suffix: suffix)
        case .hidUSB, .auto, .trace: nil
        }
    }
}

/// A reader named by what it is rather than where: found by discovery at each attempt.
struct DiscoveredReaderDriver: TagSourceDriver {
    let uri: ReaderURI
    let discovery: ReaderDiscovery

    var path: String { uri.description }

    func run(emit: (TagEvent) -> Void, running: () -> Bool, log: (String) -> Void) throws(ReaderError) {
        let found: ReaderURI?
        switch uri {
        case .hidUSB(let vendor, let product, let layout, let suffix):
            found = discovery.inputDevice(vendor: vendor, product: product).map { .hid(path: $0, layout: layout, suffix: suffix) }
        default:
            found = discovery.firstKnownReader()
        }
        guard let driver = found?.directDriver else {
            throw .protocolFailure(
                path: path, reason: "no such reader is plugged in (`smartreader readers` lists what is there); still looking")
        }
        log("\(uri) is \(driver.path)")
        try driver.run(emit: emit, running: running, log: log)
    }
}

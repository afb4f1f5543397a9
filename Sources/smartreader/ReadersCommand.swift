import ArgumentParser
import Foundation
import Logging
import SpringCore
import TagReaders
import UnixSignals

struct ReadersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readers",
        abstract: "List the USB serial and input devices on this machine, and how `--reader` would open each known reader.",
        discussion: """
            Known readers: SpringCard (USB vendor 1c34) as a HID keyboard or a serial port, and PN532 boards behind CP210x \
            (10c4:ea60), CH340 (1a86:7523) or FTDI (0403:6001) bridges. Found through sysfs, so no udev daemon is needed.
            """)

    @Flag(help: "One JSON object a line, for scripts.")
    var json = false

    @Flag(help: "Keep watching and print readers as they are plugged in and out (udev where its daemon runs, else sysfs scans).")
    var watch = false

    func run() async throws {
        let discovery = ReaderDiscovery()
        guard FileManager.default.fileExists(atPath: "\(discovery.sysfs)/class") else {
            throw ValidationError("\(discovery.sysfs)/class is missing: this system has no sysfs to look in; name the reader with --reader")
        }
        let found = discovery.scan()
        if found.isEmpty && !json { print("no USB serial or input devices found") }
        for reader in found {
            let ids = reader.usbIDs
            if json {
                var object = CompactJSONObject()
                object.add("Path", reader.devicePath)
                object.add("Kind", reader.kind.rawValue)
                object.add("UsbId", ids)
                object.add("Name", reader.name)
                object.addIfPresent("Reader", reader.uri?.description)
                print(object.text)
            } else {
                print("\(reader.devicePath)  \(ids)  \(reader.name.isEmpty ? "(no name)" : reader.name)")
                print("    \(reader.uri.map { "--reader \($0)" } ?? "not a reader this tool knows")")
            }
        }
        guard watch else { return }
        let monitor = HotplugMonitor(discovery: discovery)
        print("watching for readers (\(monitor.mechanism)); Ctrl-C to stop")
        let printing = Task {
            for await change in monitor.changes {
                switch change {
                case .added(let reader): print("plugged in  \(reader.devicePath)  \(reader.uri.map { "--reader \($0)" } ?? reader.name)")
                case .removed(let path): print("unplugged   \(path)")
                }
            }
        }
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        printing.cancel()
    }
}

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record what a live reader sees as a trace (JSON Lines) that `replay` and `run --trace` play back.",
        discussion: "Each event is written and flushed as it arrives, so nothing is lost when recording stops (SIGINT, SIGTERM, --count).")

    @Option(name: .long, help: ArgumentHelp("The reader.", discussion: ReaderURI.acceptedForms))
    var reader: String

    @Option(name: .long, help: "The trace file to write (replaced if it exists).")
    var out: String

    @Option(name: .long, help: "Stop after this many events.")
    var count: Int?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger()
        let source = try ReaderURI(parsing: reader).makeSource(logger: logger)
        guard FileManager.default.createFile(atPath: out, contents: nil), let file = FileHandle(forWritingAtPath: out) else {
            throw ValidationError("cannot write \(out)")
        }
        defer { try? file.close() }
        try file.write(contentsOf: Data("# recorded by smartreader from \(reader)\n".utf8))
        let recording = Task {
            var recorded = 0
            var start: ContinuousClock.Instant?
            for await event in source {
                let now = ContinuousClock.now
                let offset = now - (start ?? now)
                start = start ?? now
                try file.write(contentsOf: Data((Trace.line(for: event, at: offset) + "\n").utf8))
                try file.synchronize()
                recorded += 1
                FileHandle.standardError.write(Data("\r\(recorded) events recorded".utf8))
                if let count, recorded >= count { break }
            }
            return recorded
        }
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                recording.cancel()
                return
            }
        }
        let recorded = try await recording.value
        signals.cancel()
        FileHandle.standardError.write(Data("\n".utf8))
        print("recorded \(recorded) events to \(out)")
    }
}

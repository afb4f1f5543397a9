import ArgumentParser
import Foundation
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

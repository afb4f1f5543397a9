import Foundation
import Synchronization
import TestSupport
import Testing

@testable import TagReaders

/// A sysfs tree as the kernel lays it out for a CP2102 PN532 board, a SpringCard HID reader, a
/// SpringCard CDC-ACM port, an unknown USB serial adapter and a platform UART.
private func fakeSysfs() throws -> String {
    let root = temporaryDirectory("sysfs")
    let manager = FileManager.default
    func file(_ path: String, _ text: String) throws {
        try manager.createDirectory(atPath: ((root + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data((text + "\n").utf8).write(to: URL(fileURLWithPath: root + path))
    }
    func link(_ path: String, to target: String) throws {
        try manager.createDirectory(atPath: ((root + path) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: root + target, withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: root + path, withDestinationPath: root + target)
    }
    let usb = "/devices/pci0000:00/0000:00:14.0/usb1"
    try file("\(usb)/1-1/idVendor", "10c4")
    try file("\(usb)/1-1/idProduct", "ea60")
    try file("\(usb)/1-1/product", "CP2102 USB to UART Bridge Controller")
    try link("/class/tty/ttyUSB0/device", to: "\(usb)/1-1/1-1:1.0/ttyUSB0")
    try file("\(usb)/1-2/idVendor", "1c34")
    try file("\(usb)/1-2/idProduct", "7241")
    try file("\(usb)/1-2/manufacturer", "SpringCard")
    try file("\(usb)/1-2/product", "Prox'N'Roll RFID Scanner")
    try link("/class/input/event3/device", to: "\(usb)/1-2/1-2:1.0/0003:1C34:7241.0001/input/input3")
    try link("/class/input/input3/device", to: "\(usb)/1-2/1-2:1.0/0003:1C34:7241.0001/input/input3")
    try file("\(usb)/1-3/idVendor", "1c34")
    try file("\(usb)/1-3/idProduct", "7141")
    try link("/class/tty/ttyACM0/device", to: "\(usb)/1-3/1-3:1.0")
    try file("\(usb)/1-4/idVendor", "067b")
    try file("\(usb)/1-4/idProduct", "2303")
    try link("/class/tty/ttyUSB1/device", to: "\(usb)/1-4/1-4:1.0/ttyUSB1")
    try link("/class/tty/ttyS0/device", to: "/devices/platform/serial8250")
    return root
}

@Test("discovery on a fake sysfs: known readers first with how they open, unknown USB devices after, no platform UARTs")
func discovery() throws {
    let discovery = ReaderDiscovery(sysfs: try fakeSysfs(), devices: "/dev")
    let found = discovery.scan()
    #expect(found.map(\.devicePath) == ["/dev/input/event3", "/dev/ttyACM0", "/dev/ttyUSB0", "/dev/ttyUSB1"])
    #expect(
        found.map(\.uri) == [
            .hid(path: "/dev/input/event3", layout: .qwerty), .serial(path: "/dev/ttyACM0", baud: 115_200, protocol: .auto),
            .pn532(path: "/dev/ttyUSB0", baud: 115_200), nil,
        ])
    #expect(found[0].name == "SpringCard Prox'N'Roll RFID Scanner")
    #expect(discovery.firstKnownReader() == .hid(path: "/dev/input/event3", layout: .qwerty))
    #expect(discovery.inputDevice(vendor: 0x1C34, product: nil) == "/dev/input/event3")
    #expect(discovery.inputDevice(vendor: 0x1C34, product: 0x0001) == nil)
    #expect(ReaderDiscovery(sysfs: "/nonexistent").scan().isEmpty, "a machine without sysfs finds nothing, and says so elsewhere")
}

@Test(
    "reader URIs parse, and a bad one shows the accepted forms",
    arguments: [
        ("pn532:/dev/ttyUSB0", ReaderURI.pn532(path: "/dev/ttyUSB0", baud: 115_200)),
        ("pn532:/dev/ttyUSB0?baud=38400", .pn532(path: "/dev/ttyUSB0", baud: 38_400)),
        ("pn532:/dev/ttyUSB0?data=ntag", .pn532(path: "/dev/ttyUSB0", baud: 115_200, readNTAGPages: true)),
        ("serial:/dev/ttyACM0?protocol=rdm6300&baud=9600", .serial(path: "/dev/ttyACM0", baud: 9600, protocol: .rdm6300)),
        ("hid:/dev/input/event3?layout=azerty", .hid(path: "/dev/input/event3", layout: .azerty)),
        ("hid:/dev/input/event3?suffix=tab", .hid(path: "/dev/input/event3", layout: .qwerty, suffix: .tab)),
        ("hid:usb:1c34:*", .hidUSB(vendor: 0x1C34, product: nil, layout: .qwerty)),
        ("trace:t.jsonl?speed=0", .trace(path: "t.jsonl", speed: nil)),
        ("auto", .auto),
    ])
func readerURIs(text: String, uri: ReaderURI) throws {
    #expect(try ReaderURI(parsing: text) == uri)
}

@Test(
    "bad reader URIs name the fault",
    arguments: [
        ("/dev/ttyUSB0", "no scheme"), ("usb:/dev/x", "unknown scheme \"usb\""), ("pn532:", "no device path or file"),
        ("pn532:/dev/x?baud=12", "baud 12 is not one of 9600, 19200, 38400, 57600, 115200, 230400"),
        ("serial:/dev/x?protocol=nmea", "protocol nmea is not auto, scrdr, mk1, lines or rdm6300"),
        ("hid:/dev/x?layout=dvorak", "layout dvorak is not qwerty, azerty or qwertz"),
        ("pn532:/dev/x?speed=2", "pn532: does not take \"speed\""),
        ("hid:usb:zz:*", "USB ids are VENDOR:PRODUCT in hex, PRODUCT may be *"),
    ])
func badReaderURIs(text: String, reason: String) {
    #expect(throws: ReaderURIError.malformed(text, reason: reason)) { try ReaderURI(parsing: text) }
    #expect((try? ReaderURI(parsing: text)) == nil)
    #expect(
        ReaderURIError.malformed(text, reason: reason).description.contains(
            "hid:/dev/input/event3[?layout=qwerty|azerty|qwertz&suffix=enter|tab]"))
}

@Test("hotplug without a udev daemon: sysfs scans report a reader plugged in and unplugged")
func hotplugByScanning() async throws {
    let root = try fakeSysfs()
    let monitor = HotplugMonitor(discovery: ReaderDiscovery(sysfs: root), useUdev: false, scanInterval: .milliseconds(50))
    #expect(monitor.mechanism == "sysfs scan")
    let seen = SeenChanges()
    let watcher = Task { for await change in monitor.changes { seen.changes.withLock { $0.append(change) } } }
    defer { watcher.cancel() }
    // Waits up to 10 s, so a missed change fails the test instead of hanging the suite.
    func changes(atLeast count: Int) async -> [HotplugMonitor.Change] {
        for _ in 0..<400 where seen.changes.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(25)) }
        return seen.changes.withLock { $0 }
    }
    let usb = root + "/devices/usb2/2-1"
    try FileManager.default.createDirectory(atPath: usb + "/2-1:1.0/ttyUSB5", withIntermediateDirectories: true)
    try Data("1a86\n".utf8).write(to: URL(fileURLWithPath: usb + "/idVendor"))
    try Data("7523\n".utf8).write(to: URL(fileURLWithPath: usb + "/idProduct"))
    try FileManager.default.createDirectory(atPath: root + "/class/tty/ttyUSB5", withIntermediateDirectories: true)
    try FileManager.default.createSymbolicLink(atPath: root + "/class/tty/ttyUSB5/device", withDestinationPath: usb + "/2-1:1.0/ttyUSB5")
    guard case .added(let reader)? = await changes(atLeast: 1).first else {
        Issue.record("expected a reader plugged in, got \(seen.changes.withLock { $0 })")
        return
    }
    #expect(reader.uri == .pn532(path: "/dev/ttyUSB5", baud: 115_200))
    try FileManager.default.removeItem(atPath: root + "/class/tty/ttyUSB5")
    #expect(await changes(atLeast: 2).dropFirst().first == .removed(devicePath: "/dev/ttyUSB5"))
}

private final class SeenChanges: Sendable {
    let changes = Mutex<[HotplugMonitor.Change]>([])
}

@Test("libudev is linked: its netlink monitor opens for tty and input and stays quiet when nothing is plugged")
func udevMonitorOpens() {
    guard let monitor = UdevMonitor() else {
        Issue.record("libudev could not open a netlink monitor")
        return
    }
    #expect(!monitor.waitForEvent(timeout: .milliseconds(50)))
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A reader found on the machine: its device node, its USB identity, and how it would be opened.
public struct DiscoveredReader: Sendable, Equatable {
    public enum Kind: String, Sendable { case serial, input }

    public var kind: Kind
    public var devicePath: String
    public var vendorID: UInt16
    public var productID: UInt16
    public var name: String
    /// How `--reader` would open it, or nil when the USB ids are not a known reader's.
    public var uri: ReaderURI?

    /// USB ids this project knows: SpringCard readers, and the USB-UART bridges PN532 boards use.
    public static let springCardVendor: UInt16 = 0x1C34
    public static let pn532Bridges: [(vendor: UInt16, product: UInt16, name: String)] = [
        (0x10C4, 0xEA60, "CP210x"), (0x1A86, 0x7523, "CH340"), (0x0403, 0x6001, "FTDI FT232"),
    ]

    /// `vvvv:pppp`, as lsusb writes it.
    public var usbIDs: String { "\(usbID(vendorID)):\(usbID(productID))" }

    static func uri(kind: Kind, devicePath: String, vendor: UInt16, product: UInt16) -> ReaderURI? {
        switch kind {
        case .input where vendor == springCardVendor: .hid(path: devicePath, layout: .qwerty)
        case .serial where vendor == springCardVendor: .serial(path: devicePath, baud: 115_200, protocol: .auto)
        case .serial where pn532Bridges.contains(where: { $0.vendor == vendor && $0.product == product }):
            .pn532(path: devicePath, baud: 115_200)
        default: nil
        }
    }
}

/// Finds USB readers by reading sysfs (`/sys/class/tty`, `/sys/class/input`), which needs no
/// udev daemon; `root` and `devices` may point at a fake tree for tests.
public struct ReaderDiscovery: Sendable {
    public let sysfs: String
    public let devices: String

    public init(sysfs: String = "/sys", devices: String = "/dev") {
        self.sysfs = sysfs
        self.devices = devices
    }

    /// Every USB tty and input event device, known readers first, then by path.
    public func scan() -> [DiscoveredReader] {
        var found: [DiscoveredReader] = []
        for (kind, className) in [(DiscoveredReader.Kind.serial, "tty"), (.input, "input")] {
            let classDirectory = "\(sysfs)/class/\(className)"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: classDirectory)) ?? []
            for name in names.sorted() where kind == .serial || name.hasPrefix("event") {
                guard let usb = usbDevice(above: "\(classDirectory)/\(name)/device") else { continue }
                let path = "\(devices)/\(kind == .input ? "input/" : "")\(name)"
                found.append(
                    DiscoveredReader(
                        kind: kind, devicePath: path, vendorID: usb.vendor, productID: usb.product, name: usb.name,
                        uri: DiscoveredReader.uri(kind: kind, devicePath: path, vendor: usb.vendor, product: usb.product)))
            }
        }
        return found.sorted { ($0.uri == nil ? 1 : 0, $0.devicePath) < ($1.uri == nil ? 1 : 0, $1.devicePath) }
    }

    /// The first known reader, for `--reader auto`.
    public func firstKnownReader() -> ReaderURI? { scan().first { $0.uri != nil }?.uri }

    /// The input device of a HID reader with these USB ids, for `hid:usb:VVVV:PPPP`.
    public func inputDevice(vendor: UInt16, product: UInt16?) -> String? {
        scan().first { $0.kind == .input && $0.vendorID == vendor && (product == nil || $0.productID == product) }?.devicePath
    }

    /// Walks up from a class device to the USB device that holds `idVendor`.
    private func usbDevice(above link: String) -> (vendor: UInt16, product: UInt16, name: String)? {
        guard var directory = Self.resolved(link) else { return nil }
        let stop = Self.resolved(sysfs) ?? sysfs
        while directory.hasPrefix(stop), directory.count > stop.count {
            if let vendor = read("\(directory)/idVendor").flatMap({ UInt16($0, radix: 16) }),
                let product = read("\(directory)/idProduct").flatMap({ UInt16($0, radix: 16) })
            {
                let name = [read("\(directory)/manufacturer"), read("\(directory)/product")].compactMap { $0 }.joined(separator: " ")
                return (vendor, product, name)
            }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// The path with every symbolic link resolved, or nil when it does not exist.
    private static func resolved(_ path: String) -> String? {
        realpath(path, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        }
    }

    private func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}

import CUdev
import Foundation
import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Readers arriving and leaving. Where a udev daemon runs, its monitor reports tty and input
/// devices as they are set up; elsewhere (containers, minimal systems) sysfs is scanned every
/// `scanInterval` and the difference reported.
public struct HotplugMonitor: Sendable {
    public enum Change: Sendable, Equatable {
        case added(DiscoveredReader)
        case removed(devicePath: String)
    }

    public let changes: AsyncStream<Change>
    /// "udev" or "sysfs scan", for the log.
    public let mechanism: String

    /// Whether a udev daemon is running here (its control socket exists).
    public static var udevDaemonRuns: Bool { FileManager.default.fileExists(atPath: "/run/udev/control") }

    public init(
        discovery: ReaderDiscovery = ReaderDiscovery(), useUdev: Bool = HotplugMonitor.udevDaemonRuns, scanInterval: Duration = .seconds(2)
    ) {
        mechanism = useUdev ? "udev" : "sysfs scan"
        // Changes count from now, not from whenever the thread gets to its first scan: a reader
        // plugged in meanwhile would otherwise be taken for one that was already there.
        let baseline = Dictionary(uniqueKeysWithValues: discovery.scan().map { ($0.devicePath, $0) })
        changes = ThreadFedStream.make(of: Change.self, name: "hotplug") { yield, running in
            // Created on the thread that uses it: libudev objects are not thread-safe. Without
            // a working monitor this falls back to scanning.
            let monitor = useUdev ? UdevMonitor() : nil
            var known = baseline
            while running() {
                if let monitor {
                    // udev says something changed; sysfs says what the reader is.
                    guard monitor.waitForEvent(timeout: .milliseconds(250)) else { continue }
                    Thread.sleepBlocking(.milliseconds(100))
                } else {
                    Thread.sleepBlocking(scanInterval)
                }
                let now = Dictionary(uniqueKeysWithValues: discovery.scan().map { ($0.devicePath, $0) })
                for path in known.keys.sorted() where now[path] == nil { yield(.removed(devicePath: path)) }
                for path in now.keys.sorted() where known[path] == nil { yield(.added(now[path]!)) }
                known = now
            }
        }
    }
}

/// libudev's netlink monitor for the tty and input subsystems. Owned by the monitor's thread.
final class UdevMonitor {
    // Internal so the tests can check libudev is linked and usable here.
    private let udev: OpaquePointer
    private let monitor: OpaquePointer

    init?() {
        guard let udev = udev_new() else { return nil }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            udev_unref(udev)
            return nil
        }
        udev_monitor_filter_add_match_subsystem_devtype(monitor, "tty", nil)
        udev_monitor_filter_add_match_subsystem_devtype(monitor, "input", nil)
        guard udev_monitor_enable_receiving(monitor) == 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            return nil
        }
        self.udev = udev
        self.monitor = monitor
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// True when a device event arrived within `timeout` (the event itself is consumed).
    func waitForEvent(timeout: Duration) -> Bool {
        var poller = pollfd(fd: udev_monitor_get_fd(monitor), events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout / .milliseconds(1))) > 0, let device = udev_monitor_receive_device(monitor) else {
            return false
        }
        udev_device_unref(device)
        return true
    }
}

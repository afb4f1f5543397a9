import HostSystem
import SpringCore

#if canImport(Glibc)
    import Glibc
#endif

/// The hardware (MAC) address of the network interface that holds an IP address, for META's
/// PhysAddress: what a SpringPark reports of its own Ethernet port.
enum InterfaceHardwareAddress {
    /// 12 upper-case hex digits, or nil when no interface holds `ipAddress` or it has no
    /// hardware address (the loopback's is all zeros).
    static func of(ipAddress: String) -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var holder: String?
        var hardware: [String: [UInt8]] = [:]
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let address = entry.pointee.ifa_addr else { continue }
            let interface = String(cString: entry.pointee.ifa_name)
            switch Int32(address.pointee.sa_family) {
            case AF_INET, AF_INET6:
                let length = address.pointee.sa_family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let found = getnameinfo(address, socklen_t(length), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
                if found && String(nulTerminated: host) == ipAddress { holder = interface }
            case AF_PACKET:
                // struct sockaddr_ll (linux/if_packet.h), which Glibc's module does not export:
                // family, protocol, ifindex, hatype, pkttype, then halen at 11 and addr[8] at 12.
                let link = UnsafeRawPointer(address)
                let length = min(Int(link.load(fromByteOffset: 11, as: UInt8.self)), 8)
                hardware[interface] = (0..<length).map { link.load(fromByteOffset: 12 + $0, as: UInt8.self) }
            default: continue
            }
        }
        guard let holder, let address = hardware[holder], address.count == 6, address.contains(where: { $0 != 0 }) else { return nil }
        return Hex.encode(address)
    }
}

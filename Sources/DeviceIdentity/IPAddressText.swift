#if canImport(Glibc)
import Glibc
#endif

/// Textual IP addresses to their network bytes, for IP subject alternative names.
struct IPv4Address {
    let bytes: [UInt8]

    init?(_ text: String) {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        bytes = withUnsafeBytes(of: address) { Array($0) }
    }
}

struct IPv6Address {
    let bytes: [UInt8]

    init?(_ text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        bytes = withUnsafeBytes(of: address) { Array($0) }
    }
}

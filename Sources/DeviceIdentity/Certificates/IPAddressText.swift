import HostSystem

#if canImport(Glibc)
    import Glibc
#endif

/// The network bytes of a textual IPv4 or IPv6 address, for IP subject alternative names;
/// nil when the text is a host name.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: v4) { Array($0) } }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: v6) { Array($0) } }
    return nil
}

/// The textual form of 4 or 16 network bytes (an IP subject alternative name).
func ipAddressText(_ bytes: [UInt8]) -> String? {
    guard bytes.count == 4 || bytes.count == 16 else { return nil }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    let done = bytes.withUnsafeBytes { inet_ntop(bytes.count == 4 ? AF_INET : AF_INET6, $0.baseAddress, &text, socklen_t(text.count)) }
    return done == nil ? nil : String(nulTerminated: text)
}

/// The name to send as TLS SNI for `host`: the host itself, or nil for an IP address, which
/// SNI does not carry.
public func serverNameIndication(for host: String) -> String? {
    ipAddressBytes(host) == nil ? host : nil
}

import DeviceIdentity
import Foundation
import HostSystem

/// The cipher suite the broker picks for a standard TLS client, as `openssl s_client` reports
/// it: NIOSSL does not expose the suite its own handshake negotiated. nil when openssl is not
/// installed or the handshake does not get that far in 10 s.
enum CipherSuiteProbe {
    static func run(host: String, port: Int, certificate: String, key: String, chain: String?, trust: String) async -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let openssl = path.split(separator: ":").map({ "\($0)/openssl" }).first(where: FileManager.default.isExecutableFile)
        else { return nil }
        let output = NSTemporaryDirectory() + "smartreader-doctor-\(UUID().uuidString).txt"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var arguments = [
            "s_client", "-connect", "\(host):\(port)", "-cert", certificate, "-key", key, "-CAfile", trust, "-brief",
        ]
        if let serverName = serverNameIndication(for: host) { arguments += ["-servername", serverName] }
        if let chain { arguments += ["-cert_chain", chain] }
        guard let child = try? ChildProcess(executable: openssl, arguments: arguments, output: .file(output)) else { return nil }
        if await child.waitForExit(timeout: .seconds(10)) == nil { await child.terminate() }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").first { $0.hasPrefix("Ciphersuite: ") }.map { String($0.dropFirst("Ciphersuite: ".count)) }
    }
}

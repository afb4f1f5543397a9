import DeviceIdentity
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// The ways a configuration comes in, run as an operator runs them: `config validate`, `config
/// push --offline`, `config set`, and against a running daemon the control socket and the inbox.
@Suite("every way in judges a configuration alike and reads only regular files of bounded size")
struct ConfigurationEntryTests {
    private func provisioned(_ name: String = #function) throws -> (DeviceStateDirectory, String) {
        let root = temporaryDirectory(name)
        let pki = try DevelopmentPKI.create(at: root + "/pki")
        let state = DeviceStateDirectory(path: root + "/device")
        try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
            .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "localhost", port: 1))
        return (state, root)
    }

    private func write(_ text: String, _ path: String) throws -> String {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("validate, validate --state-dir and push --offline refuse the same files, with the same reason; config.json stays")
    func validateMatchesPush() async throws {
        let (state, root) = try provisioned()
        let before = try Data(contentsOf: URL(fileURLWithPath: state.configurationPath))
        let base = String(decoding: try state.loadCurrentFile().serialized(), as: UTF8.self)
        let cases: [(change: String, replacing: String, expected: String)] = [
            (#""C0": "01""#, #""C0": "64""#, "register 02C0 is 01 (network 0 disabled, profile 1 SpringProx legacy)"),
            (#""88": "0000000000""#, #""88": "370E8D4D8F""#, "register 0288 turns TLS off"),
            (#""8E.s": "site/#""#, #""8E.s": "springcard/springcore""#, "register 028E (topic prefix) holds the wildcard"),
            (#""86.s": "localhost", "0286.s": "elsewhere""#, #""86.s": "localhost""#, "register 0286 is set twice"),
        ]
        for (index, item) in cases.enumerated() {
            #expect(base.contains(item.replacing), "the provisioned file holds \(item.replacing): \(base)")
            let file = try write(base.replacingOccurrences(of: item.replacing, with: item.change), root + "/bad\(index).json")
            let runs = [
                ["config", "validate", file], ["config", "validate", file, "--state-dir", state.path],
                ["config", "push", file, "--state-dir", state.path, "--offline"],
            ]
            for arguments in runs {
                let result = try await runTool(binary, arguments)
                #expect(
                    result.status != 0 && result.output.contains(item.expected), "\(arguments.joined(separator: " ")): \(result.output)")
            }
        }
        let templates = try write(#"{"templates": {"10": "01", "11": "07"}}"#, root + "/template.json")
        for arguments in [
            ["config", "validate", templates, "--state-dir", state.path, "--no-load-defaults"],
            ["config", "push", templates, "--state-dir", state.path, "--offline", "--no-load-defaults"],
        ] {
            let result = try await runTool(binary, arguments)
            #expect(result.status != 0 && result.output.contains("format code 0111"), "\(result.output)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: state.configurationPath)) == before)

        let good = try write(base, root + "/good.json")
        let valid = try await runTool(binary, ["config", "validate", good])
        #expect(valid.status == 0 && valid.output.contains("not checked without --state-dir: the certificate"), "\(valid.output)")
        let big = try write(String(repeating: " ", count: ConfigData.maximumFileSize + 1), root + "/big.json")
        for arguments in [["config", "validate", big], ["config", "push", big, "--state-dir", state.path]] {
            let result = try await runTool(binary, arguments)
            #expect(result.status != 0 && result.output.contains("larger than a CONFIG-DATA file may be"), "\(result.output)")
        }
    }

    @Test("config set refuses what a push refuses (TLS off without --insecure, wildcards, check-name off) and never shows the password")
    func setJudgedAndMasked() async throws {
        let (state, _) = try provisioned()
        let before = try Data(contentsOf: URL(fileURLWithPath: state.configurationPath))
        for (name, value, expected) in [
            ("tls.enabled", "off", "register 0288 turns TLS off"), ("mqtt.topic-prefix", "a/+", "holds the wildcard \"+\""),
            ("mqtt.device-id", "a/b", "the topic level separator"), ("tls.check-name", "off", "turns the broker name check off"),
            ("mqtt.client-id", "SOMEONE", "client ID mismatch"),
        ] {
            let set = try await runTool(binary, ["config", "set", "--state-dir", state.path, name, value])
            #expect(set.status != 0 && set.output.contains("not changed") && set.output.contains(expected), "\(name): \(set.output)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: state.configurationPath)) == before)
        let insecure = try await runTool(binary, ["config", "set", "--state-dir", state.path, "--insecure", "tls.enabled", "off"])
        #expect(insecure.status == 0 && insecure.output.contains("INSECURE"), "an explicit choice, said loudly: \(insecure.output)")
        #expect(try state.loadCurrentFile()[.tlsOptions]?[0] == 0x36)
        #expect(try await runTool(binary, ["config", "set", "--state-dir", state.path, "tls.enabled", "on"]).status == 0)

        let password = "S3CRET-PW-9921"
        let set = try await runTool(binary, ["config", "set", "--state-dir", state.path, "mqtt.password", password])
        #expect(set.status == 0, "\(set.output)")
        #expect(!set.output.contains(password) && !set.output.contains(Hex.encode(Array(password.utf8))), "\(set.output)")
        #expect(set.output.contains("(set)"))
        let long = try await runTool(
            binary, ["config", "set", "--state-dir", state.path, "mqtt.password", String(repeating: password, count: 5)])
        #expect(long.status != 0 && !long.output.contains(password), "\(long.output)")
        for arguments in [["config", "show", "--state-dir", state.path], ["config", "show", "--json", "--state-dir", state.path]] {
            let shown = try await runTool(binary, arguments)
            #expect(!shown.output.contains(password), "\(shown.output)")
        }
    }

    @Test("a running daemon refuses a symlink, a FIFO and an oversized file in its inbox, and an over-long socket line, clearly")
    func hostileInboxAndSocket() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let daemon = try fixture.spawn(binary, ["run", "--state-dir", state.path])
            let inbox = state.file("inbox")
            try await daemon.waitFor("the inbox and the control socket") { _ in
                FileManager.default.fileExists(atPath: inbox + "/rejected")
                    && FileManager.default.fileExists(atPath: ControlSocket.path(in: state))
            }
            func result(_ name: String) -> String? { try? String(contentsOfFile: inbox + "/rejected/\(name).result", encoding: .utf8) }

            // Another local user's link to a file only the daemon can read: refused unread.
            let secret = try write(#"{"config": {"TOP-SECRET-2871": "x"}}"#, fixture.directory + "/secret.json")
            try FileManager.default.createSymbolicLink(atPath: inbox + "/.linked.tmp", withDestinationPath: secret)
            try FileManager.default.moveItem(atPath: inbox + "/.linked.tmp", toPath: inbox + "/linked.json")
            try await daemon.waitFor("the link filed as rejected") { _ in result("linked.json") != nil }
            #expect(result("linked.json")?.contains("is a symbolic link") == true, "\(result("linked.json") ?? "")")
            #expect(result("linked.json")?.contains("TOP-SECRET") == false)
            #expect(!daemon.lines.joined().contains("TOP-SECRET"), "nor in the log")
            #expect(try String(contentsOfFile: secret, encoding: .utf8).contains("TOP-SECRET"), "the target is untouched")

            // A FIFO nobody writes to would block a reader forever; renamed in, as a writer would.
            #expect(mkfifo(inbox + "/.pipe.tmp", 0o600) == 0)
            try FileManager.default.moveItem(atPath: inbox + "/.pipe.tmp", toPath: inbox + "/pipe.json")
            try await daemon.waitFor("the FIFO filed as rejected") { _ in result("pipe.json") != nil }
            #expect(result("pipe.json")?.contains("is a FIFO") == true, "\(result("pipe.json") ?? "")")

            let big = try write(String(repeating: " ", count: ConfigData.maximumFileSize + 1), inbox + "/.big.tmp")
            try FileManager.default.moveItem(atPath: big, toPath: inbox + "/big.json")
            try await daemon.waitFor("the big file filed as rejected") { _ in result("big.json") != nil }
            #expect(result("big.json")?.contains("larger than a CONFIG-DATA file may be") == true, "\(result("big.json") ?? "")")

            // 2 MiB on one line, as a hand-made client might send: a refusal that names the limit.
            let answer = try await UnixSocketLine.exchange(
                path: ControlSocket.path(in: state), line: Array(repeating: UInt8(ascii: "A"), count: 2 << 20) + [0x0A])
            #expect(answer.contains(#""Result":"rejected""#) && answer.contains("longer than"), "\(answer)")
            #expect(answer.contains("\(ConfigData.maximumFileSize) bytes"), "\(answer)")

            // The daemon still answers and applies a good push.
            let good = try write(#"{"config": {"00.s": "after"}}"#, fixture.directory + "/good.json")
            let pushed = try await runTool(binary, ["config", "push", good, "--state-dir", state.path, "--no-load-defaults", "--no-reset"])
            #expect(pushed.status == 0 && pushed.output.contains("stored"), "\(pushed.output)")
            daemon.signal(SIGTERM)
            _ = try await daemon.waitForExit(timeout: .seconds(30))
        }
    }
}

/// One line to a Unix socket and the first line back, with plain POSIX calls on a thread of its
/// own (a peer nobody here wrote, and no blocking of the cooperative pool).
enum UnixSocketLine {
    static func exchange(path: String, line: [UInt8]) async throws -> String {
        try await onOwnThread { try exchangeBlocking(path: path, line: line) }
    }

    private static func exchangeBlocking(path: String, line: [UInt8]) throws -> String {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw FixtureError("socket: \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else { throw FixtureError("connect \(path): \(errno)") }
        var sent = 0
        while sent < line.count {
            let count = line[sent...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw FixtureError("send: \(errno) after \(sent) bytes") }
            sent += count
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !received.contains(0x0A) {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

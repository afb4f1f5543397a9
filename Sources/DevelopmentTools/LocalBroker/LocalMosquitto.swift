import DeviceIdentity
import Foundation
import HostSystem
import SpringCore

#if canImport(Glibc)
    import Glibc
#endif

public enum LocalMosquittoError: Error, Sendable, CustomStringConvertible {
    case notInstalled
    case exited(status: Int32, log: String)
    case notListening(port: Int, log: String)
    case noFreePort(reason: String)

    public var description: String {
        switch self {
        case .notInstalled:
            "mosquitto is not installed; install it with: sudo apt-get install -y mosquitto mosquitto-clients"
        case .exited(let status, let log):
            "mosquitto exited with status \(status):\n\(log)"
        case .noFreePort(let reason):
            "cannot find a free loopback port for mosquitto: \(reason)"
        case .notListening(let port, let log):
            "mosquitto did not listen on port \(port) and set its signal handlers within 10 s:\n\(log)"
        }
    }
}

/// A mosquitto of our own on a free loopback port, configured for a development PKI: what the
/// demo, the benchmark and the integration tests talk to.
public actor LocalMosquitto {
    public nonisolated let port: Int
    public nonisolated let configurationPath: String
    private var process: ChildProcess
    private let executable: String
    private let logPath: String
    private var exited: Int32?

    public static func executable() -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/local/sbin"]
        return directories.map { ($0 as NSString).appendingPathComponent("mosquitto") }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts mosquitto with `pki`'s broker identity and ACL, returning once it accepts
    /// connections and handles its signals; `configure` adjusts the configuration first (tests:
    /// limits, persistence). `executable` is another broker that takes mosquitto's `-c FILE`.
    public static func start(
        pki: DevelopmentPKI, workDirectory: String, topicPrefix: String = "springcard/springcore",
        executable: String? = LocalMosquitto.executable(), configure: (inout MosquittoConfiguration) -> Void = { _ in }
    ) async throws -> LocalMosquitto {
        guard let executable else { throw LocalMosquittoError.notInstalled }
        let port = try freeLoopbackPort()
        var configuration = MosquittoConfiguration(
            pki: pki, port: port, deviceTopics: DeviceTopics(prefix: topicPrefix, deviceID: "%u").all,
            runAsUser: geteuid() == 0 ? "root" : nil)
        configure(&configuration)
        let configurationPath = (workDirectory as NSString).appendingPathComponent("mosquitto-\(port).conf")
        try configuration.write(to: configurationPath)
        let broker = try LocalMosquitto(executable: executable, configurationPath: configurationPath, port: port)
        try await broker.waitUntilListening()
        return broker
    }

    private init(executable: String, configurationPath: String, port: Int) throws {
        self.port = port
        self.configurationPath = configurationPath
        self.executable = executable
        self.logPath = configurationPath + ".log"
        process = try Self.launch(executable: executable, configurationPath: configurationPath, logPath: logPath)
    }

    private static func launch(executable: String, configurationPath: String, logPath: String) throws -> ChildProcess {
        // A process group of its own: a terminal's Ctrl-C reaches the demo, which stops the device
        // cleanly (STATUS offline) and then this broker; sent to the broker too, it went first and the
        // device's Last Will was published.
        try ChildProcess(executable: executable, arguments: ["-c", configurationPath], output: .file(logPath), ownProcessGroup: true)
    }

    /// Starts the broker again after `stop()`, on the same port with the same configuration:
    /// with a fault test's persistence, sessions and their queues come back.
    public func startAgain() async throws {
        process = try Self.launch(executable: executable, configurationPath: configurationPath, logPath: logPath)
        exited = nil
        try await waitUntilListening()
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func waitUntilListening() async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let status = process.exitStatus() {
                exited = status
                throw LocalMosquittoError.exited(status: status, log: log)
            }
            // mosquitto 2.0 listens, then sets its handlers (strace: listen, then rt_sigaction):
            // a SIGHUP (reload the ACL) sent as soon as the port answers ended the broker.
            if Self.acceptsConnections(port: port) && process.catches(SIGHUP) { return }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                // Cancelled (Ctrl-C during the demo's start): nobody holds this broker yet to stop it.
                await stop()
                throw error
            }
        }
        await stop()
        throw LocalMosquittoError.notListening(port: port, log: log)
    }

    /// Freezes (SIGSTOP) or thaws (SIGCONT) the broker, for fault tests.
    public func signal(_ number: Int32) { process.signal(number) }

    public func stop() async {
        guard exited == nil else { return }
        await process.terminate()
        exited = 0
    }

    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LocalMosquittoError.noFreePort(reason: "socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw LocalMosquittoError.noFreePort(reason: "bind(): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

import DevelopmentTools
import DeviceIdentity
import Foundation
import Gateway
import HostSystem

/// amqtt, a Python broker from PyPI (MQTT 3.1.1 only), on a free loopback port with TLS. It
/// asks for a client certificate and verifies one that is sent, but leaves the decision to an
/// authentication plugin; the one written here (`commonNameAuthPlugin`) admits a client only
/// with a verified certificate whose CN is its client ID (or, for `doctor`, which connects as
/// `{client ID}-doctor` so as not to take over the device's session, begins it), which makes the TLS mutual.
final class AMQTTBroker: MatrixBroker {
    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        // .ci/run installs it in a virtual environment of its own.
        return (path.split(separator: ":").map(String.init) + ["/opt/amqtt/bin"]).map { $0 + "/amqtt" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    let name = "amqtt 0.12 (PyPI)"
    let port: Int
    private let executable: String
    private let directory: String
    private let logPath: String
    private let process = LockedProcess()

    init(pki: DevelopmentPKI, brokerPrefix: String, directory: String) async throws {
        guard let executable = Self.executable else {
            throw FixtureError("amqtt is not installed; python3 -m venv /opt/amqtt && /opt/amqtt/bin/pip install amqtt==0.12.1")
        }
        self.executable = executable
        self.directory = directory
        port = try LocalMosquitto.freeLoopbackPort()
        logPath = directory + "/amqtt.out"
        let configuration = """
            listeners:
              default:
                type: tcp
                bind: 127.0.0.1:\(port)
                ssl: true
                cafile: \(pki.rootCertificatePath)
                certfile: \(brokerPrefix).crt
                keyfile: \(brokerPrefix).key
            plugins:
              smartreader_cn_auth.CommonNameAuthPlugin: {}

            """
        try configuration.write(toFile: directory + "/amqtt.yaml", atomically: true, encoding: .utf8)
        try Self.commonNameAuthPlugin.write(toFile: directory + "/smartreader_cn_auth.py", atomically: true, encoding: .utf8)
        try await startAgain()
    }

    static let commonNameAuthPlugin = """
        from amqtt.plugins.base import BaseAuthPlugin


        class CommonNameAuthPlugin(BaseAuthPlugin):
            \"\"\"Admits a client whose verified certificate's CN is its client ID, or CN-something.\"\"\"

            async def authenticate(self, *, session):
                certificate = session.ssl_object.getpeercert() if session.ssl_object else None
                if not certificate:
                    return False
                names = [value for rdn in certificate.get("subject", ()) for (key, value) in rdn if key == "commonName"]
                return len(names) == 1 and (session.client_id == names[0] or session.client_id.startswith(names[0] + "-"))

        """

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func startAgain() async throws {
        try process.replace(
            with: ChildProcess(
                executable: "/usr/bin/env", arguments: ["PYTHONPATH=\(directory)", executable, "-c", directory + "/amqtt.yaml"],
                output: .file(logPath)))
        try await waitUntilListening(port: port, timeout: .seconds(30), exited: { process.exitStatus() }, log: { log })
    }

    /// Any verified certificate whose CN is the client ID is let in: amqtt's topic ACL plugin
    /// keys on user names, which the devices do not send.
    func allow(commonName: String, everything: Bool) async throws {}

    func stop() async { await process.stop() }
}

import DevelopmentTools
import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import TestSupport

/// A RabbitMQ node of our own with its MQTT plugin (Debian's rabbitmq-server 3.10: MQTT 3.1.1
/// only): its own node name and free ports, every file in `directory`, never the system
/// service. Mutual TLS with `ssl_cert_login`: the certificate's CN is the user name, and a user
/// must exist, with permissions, before it can connect.
final class RabbitMQBroker: MatrixBroker {
    static let serverScript = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    static let controlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: serverScript) }

    let name = "RabbitMQ 3.10 (MQTT plugin)"
    let port: Int
    let topicPrefix: String
    private let directory: String
    private let environment: [String]
    private let nodeName: String
    private let logPath: String
    private let process = LockedProcess()

    init(pki: DevelopmentPKI, brokerPrefix: String, directory: String, topicPrefix: String) async throws {
        guard Self.isInstalled else { throw FixtureError("rabbitmq-server is not installed; sudo apt-get install -y rabbitmq-server") }
        self.directory = directory
        self.topicPrefix = topicPrefix
        port = try LocalMosquitto.freeLoopbackPort()
        let (amqpPort, distributionPort) = (try LocalMosquitto.freeLoopbackPort(), try LocalMosquitto.freeLoopbackPort())
        nodeName = "smartreader-test-\(port)@localhost"
        logPath = directory + "/rabbitmq.out"
        for folder in ["home", "mnesia", "log"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + folder, withIntermediateDirectories: true)
        }
        let configuration = [
            "listeners.tcp.default = 127.0.0.1:\(amqpPort)",
            "mqtt.listeners.tcp = none",
            "mqtt.listeners.ssl.default = 127.0.0.1:\(port)",
            "mqtt.allow_anonymous = false",
            "mqtt.ssl_cert_login = true",
            "ssl_cert_login_from = common_name",
            "ssl_options.cacertfile = \(pki.rootCertificatePath)",
            "ssl_options.certfile = \(brokerPrefix).crt",
            "ssl_options.keyfile = \(brokerPrefix).key",
            "ssl_options.verify = verify_peer",
            "ssl_options.fail_if_no_peer_cert = true",
            // Root, then the Client CA, then the device.
            "ssl_options.depth = 3",
        ]
        try (configuration.joined(separator: "\n") + "\n").write(toFile: directory + "/rabbitmq.conf", atomically: true, encoding: .utf8)
        try "[rabbitmq_mqtt].\n".write(toFile: directory + "/enabled_plugins", atomically: true, encoding: .utf8)
        environment = [
            // The Erlang cookie is made in HOME.
            "HOME=\(directory)/home", "RABBITMQ_NODENAME=\(nodeName)", "RABBITMQ_NODE_PORT=\(amqpPort)",
            "RABBITMQ_DIST_PORT=\(distributionPort)", "RABBITMQ_MNESIA_BASE=\(directory)/mnesia", "RABBITMQ_LOG_BASE=\(directory)/log",
            "RABBITMQ_CONFIG_FILE=\(directory)/rabbitmq.conf", "RABBITMQ_ENABLED_PLUGINS_FILE=\(directory)/enabled_plugins",
            "RABBITMQ_PID_FILE=\(directory)/rabbitmq.pid",
        ]
        try await startAgain()
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func startAgain() async throws {
        try process.replace(
            with: ChildProcess(executable: "/usr/bin/env", arguments: environment + [Self.serverScript], output: .file(logPath)))
        // The node boots in about 10 s on this machine.
        try await waitUntilListening(port: port, timeout: .seconds(60), exited: { process.exitStatus() }, log: { log })
    }

    /// A user per certificate CN. Devices get `{prefix}/{CN}/#` only (RabbitMQ's routing keys
    /// have dots for slashes); Watch and Control certificates get every topic.
    func allow(commonName: String, everything: Bool) async throws {
        let own = "^" + (topicPrefix + "/" + commonName).replacingOccurrences(of: "/", with: "\\.") + "\\."
        let topics = everything ? ".*" : own
        let queues = everything ? ".*" : "^(amq\\.topic|mqtt-subscription-\(commonName)qos[01])$"
        try await control(["add_user", commonName, UUID().uuidString])
        try await control(["clear_password", commonName])
        try await control(["set_permissions", "-p", "/", commonName, queues, queues, queues])
        try await control(["set_topic_permissions", "-p", "/", commonName, "amq.topic", topics, topics])
    }

    private func control(_ arguments: [String]) async throws {
        let (status, output) = try await runTool("env", environment + [Self.controlScript, "-q", "-n", nodeName] + arguments)
        guard status == 0 else { throw FixtureError("rabbitmqctl \(arguments.joined(separator: " ")) failed: \(output)") }
    }

    func stop() async { await process.stop() }
}

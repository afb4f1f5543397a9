import Foundation
import Gateway
import Logging
import MQTT
import NIOCore
import NIOSSL
import SpringCore

/// A backend-side client (a Watch or Control certificate) that subscribes to devices' topics:
/// the demo's window onto what the broker delivers.
public struct ObserverClient: Sendable {
    public let client: MQTTClient

    public init(
        broker: BrokerAddress, caPath: String, certificatePath: String, keyPath: String, clientID: String,
        eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caPath))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
        let configuration = MQTTClientConfiguration(
            host: broker.host, port: broker.port ?? 8883, tls: tls, clientIdentifier: clientID, keepAlive: 30)
        client = try MQTTClient(configuration: configuration, eventLoopGroup: eventLoopGroup, logger: logger)
    }

    /// Connects and subscribes; the messages then arrive on `client.inboundMessages`.
    public func start(filter: String) async throws {
        _ = try await client.start()
        let codes = try await client.subscribe([MQTTSubscription(topicFilter: filter, qos: .atLeastOnce)])
        if let failure = codes.first(where: \.isFailure) {
            throw MQTTConnectionError.refused(failure, reasonString: "subscription to \(filter)")
        }
    }
}

/// One readable line for a device message, as the demo prints it.
public enum ObservedMessageLine {
    public static func render(topic: String, payload: ByteBuffer) -> String {
        let parts = topic.split(separator: "/")
        let kind = parts.suffix(2).joined(separator: "/")
        let device = parts.count >= 3 ? String(parts[parts.count - (kind.hasPrefix("rdr/") ? 3 : 2)]) : "?"
        let raw = String(buffer: payload)
        guard case .object(let fields)? = try? JSONParser.parse(raw.utf8) else {
            return "\(pad(String(kind.split(separator: "/").last ?? ""), 7)) \(device)  \(raw)"
        }
        func field(_ name: String) -> String { fields[name]?.stringValue ?? "" }
        if kind.hasSuffix("rdr/evt") {
            var line = "event   \(device)  \(pad(field("Move"), 13)) \(pad(field("TagId"), 18)) \(field("Protocol"))"
            if !field("TagDetails").isEmpty { line += "  \(field("TagDetails"))" }
            if !field("TagData").isEmpty { line += "  data \(field("TagData"))" }
            return line + "  (uptime \(field("Uptime")))"
        }
        if kind.hasSuffix("/meta") {
            return
                "meta    \(device)  \(field("ProductName")) \(field("Version")) (\(field("Firmware"))), IP \(field("IpAddress")), \(field("Protocol"))"
        }
        if kind.hasSuffix("/status") {
            let uptime = field("Uptime")
            return "status  \(device)  \(field("State"))" + (uptime.isEmpty ? "" : "  (uptime \(uptime))")
        }
        return "\(pad(String(kind), 7)) \(device)  \(raw)"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

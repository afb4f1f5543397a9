import NIOSSL

/// Why a connection to the broker failed or ended. Descriptions say what to check next.
public enum MQTTConnectionError: Error, Sendable, CustomStringConvertible {
    case refused(MQTTReasonCode, reasonString: String?)
    case connectTimeout(seconds: Double)
    case responseTimeout(packet: MQTTPacketType, seconds: Double)
    case keepAliveTimeout(seconds: Double)
    case closedByBroker
    case disconnectedByBroker(MQTTReasonCode, reasonString: String?)
    case protocolViolation(String)
    case malformedPacket(MQTTDecodingError)
    case tlsHandshakeFailed(host: String, port: Int, underlying: String)
    case unreachable(host: String, port: Int, underlying: String)
    case shutDown
    case notConnected
    case rejected(MQTTEncodingError)

    /// The case's name, for counting errors by kind (metrics, the fleet report).
    public var kind: String {
        switch self {
        case .refused: "refused"
        case .connectTimeout: "connectTimeout"
        case .responseTimeout: "responseTimeout"
        case .keepAliveTimeout: "keepAliveTimeout"
        case .closedByBroker: "closedByBroker"
        case .disconnectedByBroker: "disconnectedByBroker"
        case .protocolViolation: "protocolViolation"
        case .malformedPacket: "malformedPacket"
        case .tlsHandshakeFailed: "tlsHandshakeFailed"
        case .unreachable: "unreachable"
        case .shutDown: "shutDown"
        case .notConnected: "notConnected"
        case .rejected: "rejected"
        }
    }

    public var description: String {
        switch self {
        case .refused(let code, let reason):
            "the broker refused the connection: \(code)" + (reason.map { " (\($0))" } ?? "")
        case .connectTimeout(let seconds):
            "no CONNACK within the connect timeout of \(seconds) s; is the port an MQTT listener, and is TLS on both sides?"
        case .responseTimeout(let packet, let seconds):
            "no answer to \(packet) within the response timeout of \(seconds) s"
        case .keepAliveTimeout(let seconds):
            "the broker was silent for 1.5 x the keep-alive of \(seconds) s; the link is treated as dead"
        case .closedByBroker:
            "the broker closed the connection; its log says why (often an ACL or certificate problem)"
        case .disconnectedByBroker(let code, let reason):
            "the broker sent DISCONNECT: \(code)" + (reason.map { " (\($0))" } ?? "")
        case .protocolViolation(let what):
            "the broker broke the MQTT protocol: \(what)"
        case .malformedPacket(let error):
            "the broker sent a malformed packet: \(error)"
        case .tlsHandshakeFailed(let host, let port, let underlying):
            "TLS with \(host):\(port) failed: \(underlying). Check that the broker's certificate chains to the configured CA "
                + "(the broker must send its intermediate), that its name or IP matches \(host), and that our certificate is accepted"
        case .unreachable(let host, let port, let underlying):
            "cannot reach \(host):\(port): \(underlying); check the broker address (register 0286) and port (0285)"
        case .shutDown:
            "the MQTT client was shut down"
        case .notConnected:
            "not connected to the broker; QoS 0 messages and subscriptions need a live connection"
        case .rejected(let error):
            "the message cannot be sent: \(error)"
        }
    }

    /// Maps the errors NIO and NIOSSL raise during connection set-up to what a user can act on.
    static func classify(_ error: any Error, host: String, port: Int) -> any Error {
        switch error {
        case is MQTTConnectionError:
            return error
        case let decoding as MQTTDecodingError:
            return MQTTConnectionError.malformedPacket(decoding)
        case let ssl as NIOSSLError:
            return MQTTConnectionError.tlsHandshakeFailed(host: host, port: port, underlying: "\(ssl)")
        case let ssl as BoringSSLError:
            return MQTTConnectionError.tlsHandshakeFailed(host: host, port: port, underlying: "\(ssl)")
        case let extra as NIOSSLExtraError:
            return MQTTConnectionError.tlsHandshakeFailed(host: host, port: port, underlying: "\(extra)")
        default:
            return MQTTConnectionError.unreachable(host: host, port: port, underlying: "\(error)")
        }
    }
}

import NIOSSL

/// Why a connection to the broker failed or ended. Descriptions say what to check next.
public enum MQTTConnectionError: Error, Sendable, CustomStringConvertible {
    case refused(MQTTReasonCode, reasonString: String?)
    case connectTimeout(seconds: Double)
    /// The TCP connection opened, but TLS never finished: the CONNECT never reached MQTT.
    case tlsHandshakeTimeout(seconds: Double)
    case responseTimeout(packet: MQTTPacketType, seconds: Double)
    case keepAliveTimeout(seconds: Double)
    case closedByBroker
    /// Closed without any CONNACK after an MQTT 5.0 CONNECT, with 5.0 pinned (no fall-back to 3.1.1).
    case closedWithVersionPinned
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
        case .tlsHandshakeTimeout: "tlsHandshakeTimeout"
        case .responseTimeout: "responseTimeout"
        case .keepAliveTimeout: "keepAliveTimeout"
        case .closedByBroker, .closedWithVersionPinned: "closedByBroker"
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
        case .tlsHandshakeTimeout(let seconds):
            "the TLS handshake did not finish within the connect timeout of \(seconds) s: the port accepts connections but does "
                + "not answer TLS (a listener without TLS, another service, or a broker that hangs); check the port (register 0285) "
                + "and that the broker is running"
        case .responseTimeout(let packet, let seconds):
            "no answer to \(packet) within the response timeout of \(seconds) s"
        case .keepAliveTimeout(let seconds):
            "the broker was silent for 1.5 x the keep-alive of \(seconds) s; the link is treated as dead"
        case .closedByBroker:
            "the broker closed the connection; its log says why (often an ACL or certificate problem)"
        case .closedWithVersionPinned:
            "the broker closed the connection after an MQTT 5.0 CONNECT, without a CONNACK: a broker that does not speak "
                + "MQTT 5.0 does this (RabbitMQ, older brokers, some cloud gateways), and so does an ACL or certificate refusal. "
                + "MQTT 5.0 is pinned here: allow 3.1.1 with `config set emulator.mqtt-version auto` (or --mqtt-version 3.1.1); "
                + "`smartreader doctor --state-dir DIR` tells which"
        case .disconnectedByBroker(let code, let reason):
            "the broker sent DISCONNECT: \(code)" + (reason.map { " (\($0))" } ?? "")
        case .protocolViolation(let what):
            "the broker broke the MQTT protocol: \(what)"
        case .malformedPacket(let error):
            "the broker sent a malformed packet: \(error)"
        case .tlsHandshakeFailed(let host, let port, let underlying):
            "TLS with \(host):\(port) failed: \(TLSHandshakeCheck(underlying: underlying).explanation(host: host)); "
                + "`smartreader doctor --state-dir DIR` checks each step and says what to fix"
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

    /// Which check a failed TLS handshake failed; nil for the other errors.
    public var tlsCheck: TLSHandshakeCheck? {
        guard case .tlsHandshakeFailed(_, _, let underlying) = self else { return nil }
        return TLSHandshakeCheck(underlying: underlying)
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

/// The step of a TLS handshake that failed, told from NIOSSL's error. Its raw text (BoringSSL
/// reason codes, source paths of the build) means little to an operator; the log keeps it at debug.
public enum TLSHandshakeCheck: Sendable, Equatable {
    /// The broker's certificate does not chain to the CA the device trusts, or is out of date.
    case brokerChain
    /// The broker's certificate does not name the host the device connects to.
    case brokerName
    /// The broker refused the device's certificate (an alert from the peer).
    case ourCertificate
    /// No common TLS version or cipher suite.
    case protocolVersion
    /// What answered does not speak TLS.
    case notTLS
    case other

    public init(underlying: String) {
        func mentions(_ names: [String]) -> Bool { names.contains { underlying.contains($0) } }
        if mentions(["failedToValidateHostname", "serverHostnameImpossibleToMatch"]) {
            self = .brokerName
        } else if mentions(["CERTIFICATE_VERIFY_FAILED"]) {
            self = .brokerChain
        } else if mentions([
            "ALERT_UNKNOWN_CA", "ALERT_BAD_CERTIFICATE", "ALERT_CERTIFICATE_REQUIRED", "ALERT_CERTIFICATE_EXPIRED",
            "ALERT_CERTIFICATE_UNKNOWN", "ALERT_CERTIFICATE_REVOKED", "ALERT_UNSUPPORTED_CERTIFICATE", "ALERT_ACCESS_DENIED",
            "ALERT_DECRYPT_ERROR",
        ]) {
            self = .ourCertificate
        } else if mentions(["ALERT_PROTOCOL_VERSION", "ALERT_HANDSHAKE_FAILURE", "UNSUPPORTED_PROTOCOL", "NO_SHARED_CIPHER"]) {
            self = .protocolVersion
        } else if mentions(["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG"]) {
            self = .notTLS
        } else {
            self = .other
        }
    }

    public func explanation(host: String) -> String {
        switch self {
        case .brokerChain:
            "the broker's certificate does not chain to the CA the device trusts (register 0288's server CA slot), "
                + "or is out of date; the broker must also send its intermediate CA"
        case .brokerName: "the broker's certificate does not name \(host) (neither its DNS names nor its IP addresses)"
        case .ourCertificate:
            "the broker refused the device's certificate: it does not trust the device's CA, or the certificate is out of date"
        case .protocolVersion: "the broker and the device share no TLS version or cipher suite"
        case .notTLS: "what answers on that port does not speak TLS; is it a plain MQTT listener?"
        case .other: "the handshake broke off (the broker's log may say why)"
        }
    }
}

import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request and its answer over a fresh connection (TLS for `https`), for talking
/// to a CA: small bodies, one deadline for the whole exchange, and the server's status and
/// body returned whatever they are, so its own message can be shown.
public struct EnrolmentExchange: Sendable {
    public var timeout: Duration
    /// Trust for an `https` server; nil trusts the system's roots.
    public var trustRoots: NIOSSLTrustRoots?
    public var group: any EventLoopGroup

    public init(
        timeout: Duration = .seconds(30), trustRoots: NIOSSLTrustRoots? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.timeout = timeout
        self.trustRoots = trustRoots
        self.group = group
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public func send(_ method: HTTPMethod, _ url: URL, headers: [(String, String)] = [], body: [UInt8] = []) async throws(EnrolmentError)
        -> Answer
    {
        guard let scheme = url.scheme, scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty else {
            throw .badURL(url.absoluteString)
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        let tls = scheme == "https" ? try tlsContext(for: url) : nil
        let path = (url.path.isEmpty ? "/" : url.path) + (url.query.map { "?" + $0 } ?? "")
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: url.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        do {
            return try await Self.exchange(head, body: body, host: host, port: port, tls: tls, deadline: deadline, group: group)
        } catch let error as EnrolmentError {
            throw error
        } catch {
            guard NIODeadline.now() < deadline else { throw .timedOut(url.absoluteString, timeout) }
            throw .unreachable(url.absoluteString, "\(error)")
        }
    }

    private func tlsContext(for url: URL) throws(EnrolmentError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let trustRoots { configuration.trustRoots = trustRoots }
        do { return try NIOSSLContext(configuration: configuration) } catch { throw .unreachable(url.absoluteString, "\(error)") }
    }

    /// The deadline closes the connection wherever the exchange stands (connecting, writing,
    /// waiting for the answer), so nothing waits past it.
    private static func exchange(
        _ head: HTTPRequestHead, body: [UInt8], host: String, port: Int, tls: NIOSSLContext?, deadline: NIODeadline,
        group: any EventLoopGroup
    ) async throws -> Answer {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(max(deadline - .now(), .milliseconds(1)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tls, serverHostname: serverNameIndication(for: host)))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let expiry = channel.channel.eventLoop.scheduleTask(deadline: deadline) { [channel = channel.channel] in channel.close(promise: nil)
        }
        defer { expiry.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
            try await outbound.write(.end(nil))
            var answer = Answer(status: 0, body: [])
            for try await part in inbound {
                switch part {
                case .head(let response): answer.status = Int(response.status.code)
                case .body(let chunk):
                    // A CA's answer is a certificate or an error message; more is not one.
                    guard answer.body.count + chunk.readableBytes <= 1 << 20 else { throw EnrolmentError.answerTooLarge }
                    answer.body += chunk.readableBytesView
                case .end: return answer
                }
            }
            // Closed before a whole answer: by the deadline, or by the server.
            throw ChannelError.eof
        }
    }
}

/// Why an enrolment did not produce a certificate; the device keeps its identity in every case.
public enum EnrolmentError: Error, Sendable, CustomStringConvertible {
    case badURL(String)
    case unreachable(String, String)
    case timedOut(String, Duration)
    case answerTooLarge
    case refused(String, status: Int, message: String)
    case unexpectedAnswer(String, String)

    public var description: String {
        let tail = "; the device keeps its current identity"
        return switch self {
        case .badURL(let url): "\"\(url)\" is not an http:// or https:// URL with a host" + tail
        case .unreachable(let url, let reason): "cannot talk to \(url): \(reason)" + tail
        case .timedOut(let url, let timeout): "\(url) did not answer within \(timeout)" + tail
        case .answerTooLarge: "the CA's answer is larger than 1 MiB, which no certificate is" + tail
        case .refused(let url, let status, let message): "\(url) refused the request with HTTP \(status): \(message)" + tail
        case .unexpectedAnswer(let url, let reason): "\(url) answered, but \(reason)" + tail
        }
    }
}

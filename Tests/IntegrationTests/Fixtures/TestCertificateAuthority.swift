import DeviceIdentity
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftASN1
import X509

/// A dojot/EJBCA-like certificate service on a loopback port, signing with a development PKI,
/// and misbehaving on request: what `smartreader enroll` is tested against.
final class TestCertificateAuthority: Sendable {
    enum Behaviour: Sendable {
        /// Signs the request with the PKI's Client CA.
        case signs
        /// Answers with a certificate for another key.
        case certifiesAnotherKey
        /// Answers 200 with HTML.
        case answersGarbage
        /// Never answers.
        case staysSilent
    }

    static let password = "dojot-secret"
    let port: Int
    private let server: any Channel

    init(pki: DevelopmentPKI, behaviour: Behaviour) async throws {
        server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(pki: pki, behaviour: behaviour))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress!.port!
    }

    var url: String { "http://127.0.0.1:\(port)/" }
    var estURL: String { "http://127.0.0.1:\(port)/.well-known/est" }

    func stop() async { try? await server.close() }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let pki: DevelopmentPKI
        let behaviour: Behaviour
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(pki: DevelopmentPKI, behaviour: Behaviour) {
            self.pki = pki
            self.behaviour = behaviour
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): self.head = head
            case .body(let chunk): body += chunk.readableBytesView
            case .end:
                guard behaviour != .staysSilent, let head else { return }
                let (status, text) = answer(head)
                var response = HTTPResponseHead(version: .http1_1, status: status)
                response.headers.add(name: "Content-Length", value: String(text.utf8.count))
                response.headers.add(name: "Connection", value: "close")
                context.write(wrapOutboundOut(.head(response)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }

        private func answer(_ head: HTTPRequestHead) -> (HTTPResponseStatus, String) {
            if behaviour == .answersGarbage { return (.ok, "<html><body>502 Bad Gateway</body></html>") }
            let parts = head.uri.split(separator: "/").map(String.init)
            if parts.first == ".well-known" { return est(head, operation: parts.last ?? "") }
            if head.method == .GET, parts.first == "ca" {
                return (.ok, #"{"certificate":"\#(der(pki.authorityCertificatePath(for: .device)))"}"#)
            }
            guard head.method == .POST, parts.count == 3, parts[0] == "sign", parts[2] == "pkcs10",
                let fields = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: String]
            else { return (.notFound, #"{"error":"no such resource"}"#) }
            guard fields["passwd"] == TestCertificateAuthority.password else {
                return (.unauthorized, #"{"error":"end entity \#(parts[1]): wrong password"}"#)
            }
            do {
                let request = try CertificateSigningRequest(derEncoded: Array(Data(base64Encoded: fields["certificate"] ?? "") ?? Data()))
                let pem =
                    behaviour == .certifiesAnotherKey
                    ? try pki.issue(role: .device, commonName: parts[1]).certificatePEM : try pki.sign(request: request).certificatePEM
                let der = Data(try PEMDocument(pemString: pem).derBytes).base64EncodedString()
                return (.ok, #"{"status":{"data":"\#(der)","responseType":"CERTIFICATE"}}"#)
            } catch {
                return (.badRequest, #"{"error":"\#(error)"}"#)
            }
        }

        /// RFC 7030: base64 certs-only PKCS#7 both ways; basic authentication on simpleenroll.
        private func est(_ head: HTTPRequestHead, operation: String) -> (HTTPResponseStatus, String) {
            do {
                switch (head.method, operation) {
                case (.GET, "cacerts"):
                    let authority = try CertificateFile(path: pki.authorityCertificatePath(for: .device)).chain
                    return (.ok, Data(try PKCS7Certificates.der(authority)).base64EncodedString())
                case (.POST, "simpleenroll"):
                    let expected = "Basic " + Data("device:\(TestCertificateAuthority.password)".utf8).base64EncodedString()
                    guard head.headers["Authorization"].first == expected else { return (.unauthorized, "authentication required") }
                    let der = Data(base64Encoded: String(decoding: body, as: UTF8.self), options: .ignoreUnknownCharacters) ?? Data()
                    let request = try CertificateSigningRequest(derEncoded: Array(der))
                    let pem =
                        behaviour == .certifiesAnotherKey
                        ? try pki.issue(role: .device, commonName: request.subject.description.replacingOccurrences(of: "CN=", with: ""))
                            .certificatePEM
                        : try pki.sign(request: request).certificatePEM
                    return (.ok, Data(try PKCS7Certificates.der([try Certificate(pemEncoded: pem)])).base64EncodedString())
                default:
                    return (.notFound, "no such EST operation")
                }
            } catch {
                return (.badRequest, "\(error)")
            }
        }

        private func der(_ path: String) -> String {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8), let document = try? PEMDocument(pemString: pem) else {
                return ""
            }
            return Data(document.derBytes).base64EncodedString()
        }
    }
}

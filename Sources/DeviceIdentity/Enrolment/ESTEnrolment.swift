import Foundation
import NIOHTTP1
import X509

/// A certificate service the device can enrol with: the request in, its certificate and the
/// CA's out (both PEM), or the server's reason.
public protocol CertificateService: Sendable {
    /// Where the service is, for messages.
    var location: String { get }
    func enrol(commonName: String, request: CertificateRequest) async throws(EnrolmentError) -> (
        certificatePEM: String, authorityPEM: String
    )
}

extension EJBCAEnrolment: CertificateService {
    public var location: String { baseURL.absoluteString }
}

/// RFC 7030 EST: the CA certificates from `/cacerts`, the device's from `/simpleenroll`, both as
/// base64 certs-only PKCS#7; the request goes base64 as `application/pkcs10`, with HTTP basic
/// authentication when a user is given.
public struct ESTEnrolment: CertificateService {
    /// The EST base, e.g. `https://est.example/.well-known/est` (with an optional label after it).
    public var baseURL: URL
    public var user: String?
    public var password: String?
    public var exchange: EnrolmentExchange

    public init(baseURL: URL, user: String? = nil, password: String? = nil, exchange: EnrolmentExchange) {
        self.baseURL = baseURL
        self.user = user
        self.password = password
        self.exchange = exchange
    }

    public var location: String { baseURL.absoluteString }

    public func enrol(commonName: String, request: CertificateRequest) async throws(EnrolmentError) -> (
        certificatePEM: String, authorityPEM: String
    ) {
        let authorities = try await certificates(.GET, baseURL.appendingPathComponent("cacerts"), body: [], contentType: nil)
        let issued = try await certificates(
            .POST, baseURL.appendingPathComponent("simpleenroll"),
            body: Array(Data(request.requestDER).base64EncodedString(options: .lineLength64Characters).utf8),
            contentType: "application/pkcs10")
        do {
            return (try DevelopmentPKI.pem(issued), try DevelopmentPKI.pem(authorities))
        } catch {
            throw .unexpectedAnswer(location, "its certificates cannot be written as PEM (\(error))")
        }
    }

    private func certificates(_ method: HTTPMethod, _ url: URL, body: [UInt8], contentType: String?) async throws(EnrolmentError)
        -> [Certificate]
    {
        var headers: [(String, String)] = [("Accept", "application/pkcs7-mime")]
        if let contentType { headers += [("Content-Type", contentType), ("Content-Transfer-Encoding", "base64")] }
        if let user { headers.append(("Authorization", "Basic " + Data("\(user):\(password ?? "")".utf8).base64EncodedString())) }
        let answer = try await exchange.send(method, url, headers: headers, body: body)
        guard answer.status != 202 else {
            throw .refused(url.absoluteString, status: 202, message: "the request waits for approval (Retry-After); enrol again later")
        }
        guard answer.status == 200 else {
            throw .refused(url.absoluteString, status: answer.status, message: String(answer.text.prefix(300)))
        }
        guard let der = Data(base64Encoded: answer.text, options: .ignoreUnknownCharacters) else {
            throw .unexpectedAnswer(url.absoluteString, "its answer is not base64: \(answer.text.prefix(200))")
        }
        do {
            let certificates = try PKCS7Certificates.certificates(der: Array(der))
            guard !certificates.isEmpty else { throw PKCS7Certificates.Failure.notPKCS7("it holds no certificate") }
            return certificates
        } catch {
            throw .unexpectedAnswer(url.absoluteString, "its answer is \(error)")
        }
    }
}

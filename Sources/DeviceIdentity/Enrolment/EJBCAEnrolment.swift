import Foundation
import NIOHTTP1
import SwiftASN1

/// The dojot flow in front of EJBCA: the device is an end entity named after its ID; it POSTs
/// its request to `/sign/<cn>/pkcs10` with the end entity's password and gets the certificate
/// back, and fetches the CA's certificate from `/ca/<name>` to check it against.
public struct EJBCAEnrolment: Sendable {
    public var baseURL: URL
    public var password: String
    /// dojot puts its API behind a gateway that wants a JWT (`Authorization: Bearer`).
    public var bearerToken: String?
    public var authorityName: String
    public var exchange: EnrolmentExchange

    public init(baseURL: URL, password: String, bearerToken: String? = nil, authorityName: String = "IOTmidCA", exchange: EnrolmentExchange)
    {
        self.baseURL = baseURL
        self.password = password
        self.bearerToken = bearerToken
        self.authorityName = authorityName
        self.exchange = exchange
    }

    private struct SignRequest: Encodable {
        var passwd: String
        var certificate: String
    }

    private struct SignAnswer: Decodable {
        struct Status: Decodable { var data: String }
        var status: Status
    }

    private struct AuthorityAnswer: Decodable { var certificate: String }

    /// The certificate for `request` and the CA's, both PEM.
    public func enrol(commonName: String, request: CertificateRequest) async throws(EnrolmentError) -> (
        certificatePEM: String, authorityPEM: String
    ) {
        let signURL = baseURL.appendingPathComponent("sign").appendingPathComponent(commonName).appendingPathComponent("pkcs10")
        let body =
            (try? JSONEncoder().encode(SignRequest(passwd: password, certificate: Data(request.requestDER).base64EncodedString())))
            ?? Data()
        let signed: SignAnswer = try await call(.POST, signURL, body: Array(body))
        let authorityURL = baseURL.appendingPathComponent("ca").appendingPathComponent(authorityName)
        let authority: AuthorityAnswer = try await call(.GET, authorityURL, body: [])
        return (try Self.pem(signed.status.data, from: signURL), try Self.pem(authority.certificate, from: authorityURL))
    }

    private func call<Answer: Decodable>(_ method: HTTPMethod, _ url: URL, body: [UInt8]) async throws(EnrolmentError) -> Answer {
        var headers = [("Content-Type", "application/json"), ("Accept", "application/json")]
        if let bearerToken { headers.append(("Authorization", "Bearer \(bearerToken)")) }
        let answer = try await exchange.send(method, url, headers: headers, body: body)
        guard answer.status == 200 else {
            throw .refused(url.absoluteString, status: answer.status, message: String(answer.text.prefix(300)))
        }
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(answer.body))
        } catch {
            throw .unexpectedAnswer(url.absoluteString, "not with the JSON expected (\(error)): \(answer.text.prefix(200))")
        }
    }

    /// dojot sends DER in base64; a PEM answer is taken as it is.
    static func pem(_ text: String, from url: URL) throws(EnrolmentError) -> String {
        if text.contains("-----BEGIN") { return text }
        guard let der = Data(base64Encoded: text, options: .ignoreUnknownCharacters), !der.isEmpty else {
            throw .unexpectedAnswer(url.absoluteString, "its certificate is neither base64 DER nor PEM")
        }
        return PEMDocument(type: "CERTIFICATE", derBytes: Array(der)).pemString + "\n"
    }
}

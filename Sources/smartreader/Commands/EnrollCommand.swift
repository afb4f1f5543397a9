import ArgumentParser
import DeviceIdentity
import Foundation
import Gateway
import NIOSSL

struct EnrollCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Get a new device certificate from a dojot/EJBCA server or an EST server, and install it with its new key.",
        discussion: """
            Makes a new key and request (as `smartreader pki csr`) and sends it: with --ejbca, POST URL/sign/<device ID>/pkcs10 \
            with the end entity's password, and the CA from URL/ca/<name>; with --est (RFC 7030), URL/simpleenroll and \
            URL/cacerts, with HTTP basic authentication when --user is given. The certificate is installed once checked \
            (as `smartreader pki install`). On any failure the device keeps its current identity.
            """)

    @OptionGroup var stateDirectory: StateDirectoryOption

    @Option(name: .long, help: "Base URL of a dojot/EJBCA certificate service, e.g. https://dojot.example:8000.")
    var ejbca: String?

    @Option(name: .long, help: "Base URL of an EST server, e.g. https://est.example/.well-known/est.")
    var est: String?

    @Option(name: .long, help: "EST: the user for HTTP basic authentication.")
    var user: String?

    @Option(name: .long, help: "EJBCA: the end entity's password; EST: the basic authentication password.")
    var password: String?

    @Option(name: .long, help: "EJBCA: a JWT for an API gateway in front of the service (sent as Authorization: Bearer).")
    var token: String?

    @Option(name: .long, help: "EJBCA: the CA's name at URL/ca/<name>.")
    var caName = "IOTmidCA"

    @Option(name: .long, help: "PEM file of the CA that signs the server's HTTPS certificate; the system's roots otherwise.")
    var serverCa: String?

    @Option(name: .long, help: "p256, rsa2048 (default: dojot's profile wants RSA) or rsa3072.")
    var keyType: DeviceKeyType = .rsa2048

    @Option(name: .long, help: "Seconds to wait for each answer.")
    var timeout = 30

    func validate() throws {
        guard (ejbca == nil) != (est == nil) else { throw ValidationError("give one of --ejbca URL or --est URL") }
        if ejbca != nil && password == nil { throw ValidationError("--ejbca needs --password (the end entity's)") }
    }

    func run() async throws {
        let trust = try serverCa.map { NIOSSLTrustRoots.certificates(try NIOSSLCertificate.fromPEMFile($0)) }
        let exchange = EnrolmentExchange(timeout: .seconds(timeout), trustRoots: trust)
        let enrolment = try DeviceEnrolment(state: stateDirectory.state)
        let issued: IssuedCertificate
        if let ejbca {
            let service = EJBCAEnrolment(
                baseURL: try url(ejbca), password: password ?? "", bearerToken: token, authorityName: caName, exchange: exchange)
            issued = try await enrolment.enrol(with: service, keyType: keyType)
        } else {
            let service = ESTEnrolment(baseURL: try url(est ?? ""), user: user, password: password, exchange: exchange)
            issued = try await enrolment.enrol(with: service, keyType: keyType)
        }
        print("enrolled CN=\(enrolment.deviceID) with \(ejbca ?? est ?? ""), valid until \(issued.chain[0].notValidAfter)")
    }

    private func url(_ text: String) throws -> URL {
        guard let url = URL(string: text), url.scheme != nil else { throw ValidationError("\(text) is not a URL") }
        return url
    }
}

import ArgumentParser
import DeviceIdentity
import Foundation
import Gateway
import NIOPosix
import NIOSSL

extension DeviceKeyType: ExpressibleByArgument {}

struct CertificateRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "csr",
        abstract: "Make a new device key and a PKCS#10 request for it (CN = the device ID, SHA-256).",
        discussion: """
            The key waits beside the key slot (slots/key-XX.pem.pending, mode 0600) and the device keeps its current \
            identity until a certificate for the new key is installed with `smartreader pki install`. The request is \
            written to DIR/device.csr and printed.
            """)

    @Option(name: .long, help: "The device's state directory.")
    var stateDir: String

    @Option(name: .long, help: "p256 (default), rsa2048 or rsa3072.")
    var keyType: DeviceKeyType = .p256

    func run() async throws {
        let enrolment = try DeviceEnrolment(state: DeviceStateDirectory(path: stateDir))
        let request = try enrolment.makeRequest(keyType: keyType)
        FileHandle.standardError.write(
            Data("request for CN=\(enrolment.deviceID) in \(enrolment.requestPath); new key aside in \(enrolment.pendingKeyPath)\n".utf8))
        print(request.requestPEM, terminator: "")
    }
}

struct InstallCertificateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install the certificate a CA made from `smartreader pki csr`'s request, with its key.",
        discussion: """
            The certificate must be for the pending key and the device ID, currently valid, and signed by the CA \
            (--ca, else the client CA slot when it is filled); otherwise nothing changes. A running daemon uses the \
            new identity after `smartreader config reload` or a restart.
            """)

    @Option(name: .long, help: "The device's state directory.")
    var stateDir: String

    @Argument(help: "PEM file: the certificate, optionally followed by its intermediates.")
    var certificate: String

    @Option(name: .long, help: "PEM file of the CA that signed it.")
    var ca: String?

    func run() async throws {
        let enrolment = try DeviceEnrolment(state: DeviceStateDirectory(path: stateDir))
        let issued = try enrolment.install(
            certificatePEM: try ProtectedFile.read(certificate), authorityPEM: try ca.map { try ProtectedFile.read($0) },
            source: certificate)
        print("installed CN=\(enrolment.deviceID), valid until \(issued.chain[0].notValidAfter), in \(enrolment.certificatePath)")
    }
}

struct EnrolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enroll",
        abstract: "Get a new device certificate from a dojot/EJBCA server or an EST server, and install it with its new key.",
        discussion: """
            Makes a new key and request (as `smartreader pki csr`) and sends it: with --ejbca, POST URL/sign/<device ID>/pkcs10 \
            with the end entity's password, and the CA from URL/ca/<name>; with --est (RFC 7030), URL/simpleenroll and \
            URL/cacerts, with HTTP basic authentication when --user is given. The certificate is installed once checked \
            (as `smartreader pki install`). On any failure the device keeps its current identity.
            """)

    @Option(name: .long, help: "The device's state directory.")
    var stateDir: String

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
        let enrolment = try DeviceEnrolment(state: DeviceStateDirectory(path: stateDir))
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

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything mutual TLS to the broker needs, and say how to fix what fails.",
        discussion: """
            The device's side from its files (key, certificate dates, chain sent, CN = client ID, key file mode), then the \
            broker: reachable, TLS version, its chain against the device's CA (telling a missing intermediate from another \
            CA), its name, CONNACK, and under MQTT 5 that the ACL allows the device's own topic and refuses another's. \
            Exits 1 when anything failed. The probes use the client ID <CN>-doctor, so a running daemon is not disturbed.
            """)

    @OptionGroup var device: DeviceConnectionOptions

    @Flag(name: .long, help: "Print the checklist as JSON.")
    var json = false

    func run() async throws {
        let doctor = DeviceDoctor(
            state: device.state, brokerOverride: try device.brokerOverride(), protocolVersion: device.mqttVersion?.version)
        let report = await doctor.run(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        print(json ? report.json : report.text)
        if report.hasFailures { throw ExitCode.failure }
    }
}

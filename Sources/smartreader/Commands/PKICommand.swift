import ArgumentParser
import DevelopmentTools
import DeviceIdentity
import Foundation
import Gateway
import HostSystem
import SpringCore
import X509

struct PKICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki",
        abstract:
            "A development PKI (root CA, role CAs, leaf certificates, device provisioning, a matching mosquitto), and a device's own key renewal.",
        subcommands: [
            Init.self, Issue.self, Provision.self, Mosquitto.self, RequestCertificate.self, Sign.self, InstallCertificate.self,
        ])

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a Root CA and the Cloud (brokers), Client (devices), Watch and Control CAs, EC P-256.")

        @Argument(help: "Directory for the PKI; created if missing, refused if it already holds one.")
        var directory: String

        func run() async throws {
            let pki = try DevelopmentPKI.create(at: directory)
            print("created \(pki.rootCertificatePath) (the trust anchor) and the cloud, client, watch and control CAs")
        }
    }

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "issue",
            abstract: "Issue a leaf certificate: PREFIX.key (mode 0600) and PREFIX.crt (leaf, then its CA).")

        @Argument(help: "The PKI directory.")
        var directory: String

        @Option(help: "device, watch, control or broker.")
        var role: CertificateRole

        @Option(help: "Subject CN: the device's client ID, or the broker's host name.")
        var cn: String

        @Option(name: .customLong("san"), help: "Subject alternative name, DNS name or IP address; repeatable.")
        var subjectAlternativeNames: [String] = []

        @Option(help: "Output path prefix.")
        var out: String

        func run() async throws {
            // A broker's CN is a host name, never a client ID.
            if role != .broker, let device = FleetPlan.fleetDevice(serialNumber: cn) {
                throw FleetError.serialNumberOfFleet(cn.uppercased(), device: device)
            }
            let pki = try DevelopmentPKI(opening: directory)
            try pki.issue(role: role, commonName: cn, subjectAlternativeNames: subjectAlternativeNames).write(prefix: out)
            print("issued \(role.rawValue) certificate CN=\(cn): \(out).crt, \(out).key")
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign",
            abstract: "Sign a PKCS#10 request with one of the PKI's CAs (the Client CA for devices): what a CA does in the enrolment flow.")

        @Argument(help: "The PKI directory.")
        var directory: String

        @Option(help: "The request, PEM (e.g. DIR/device.csr from `smartreader pki csr`).")
        var csr: String

        @Option(help: "device, watch, control or broker.")
        var role: CertificateRole = .device

        @Option(help: "Where to write the certificate, followed by its CA.")
        var out: String

        func run() async throws {
            let pki = try DevelopmentPKI(opening: directory)
            let request: CertificateSigningRequest
            do {
                request = try CertificateSigningRequest(pemEncoded: try ProtectedFile.read(csr))
            } catch let error as FileError {
                throw error
            } catch {
                throw ValidationError("\(csr) is not a PEM certificate request: \(error)")
            }
            let signed = try pki.sign(request: request, role: role)
            try ProtectedFile.write(signed.certificatePEM + signed.issuerPEM, to: out, mode: 0o644)
            print("signed \(role.rawValue) certificate \(request.subject): \(out)")
        }
    }

    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "provision",
            abstract: "Create a factory-fresh device state directory with its key, certificate (CN = serial) and TLS on.")

        @Argument(help: "The PKI directory.")
        var directory: String

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Option(help: "Serial number, 8 hex digits, outside the fleets' 5F000000 to 5FFFFFFF (`simulate`'s devices).")
        var serial: String

        @Option(help: "Device profile from DeviceProfiles/.")
        var profile = "springpark"

        @Option(help: "Broker written into registers 0286/0285, as HOST or HOST:PORT.")
        var broker = "localhost"

        func run() async throws {
            let serial = try DeviceProvisioning.validateSerialNumber(self.serial)
            if let device = FleetPlan.fleetDevice(serialNumber: serial) { throw FleetError.serialNumberOfFleet(serial, device: device) }
            let pki = try DevelopmentPKI(opening: directory)
            let loaded = try DeviceProfile.load(name: profile, directory: DataFiles.directory("DeviceProfiles"))
            try DeviceProvisioning(pki: pki, profile: loaded)
                .provision(state: stateDirectory.state, serialNumber: serial, broker: try BrokerAddress(parsing: broker))
            print("provisioned \(loaded.constants.productName) \(serial.uppercased()) in \(stateDirectory.path)")
        }
    }

    struct Mosquitto: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mosquitto",
            abstract: "Write a mosquitto configuration and ACL for this PKI (issuing the broker certificate if needed).",
            discussion: "Run it again after issuing Watch or Control certificates: their CNs are listed in the ACL.")

        @Argument(help: "The PKI directory.")
        var directory: String

        @Option(help: "Listener port.")
        var port = 8883

        @Option(help: "Address to listen on.")
        var bind = "127.0.0.1"

        @Option(help: "Configuration file to write; the ACL goes to FILE.acl.")
        var out: String

        @Option(help: "Topic prefix of the devices (register 028E).")
        var prefix = "springcard/springcore"

        @Option(help: "User mosquitto runs as; `root` lets a broker started as root read the 0600 broker key.")
        var user: String?

        func run() async throws {
            let pki = try DevelopmentPKI(opening: directory)
            try MosquittoConfiguration(
                pki: pki, port: port, bindAddress: bind, deviceTopics: DeviceTopics(prefix: prefix, deviceID: "%u").all, runAsUser: user
            ).write(to: out)
            print("wrote \(out) and \(out).acl; start the broker with: mosquitto -c \(out)")
        }
    }
}

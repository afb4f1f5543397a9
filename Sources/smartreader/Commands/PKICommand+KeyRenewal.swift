import ArgumentParser
import DeviceIdentity
import Foundation
import Gateway
import HostSystem

// A device's own key renewal, with whatever CA: a new key and its request, then the certificate
// the CA made from it.
extension PKICommand {
    struct RequestCertificate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csr",
            abstract: "Make a new device key and a PKCS#10 request for it (CN = the device ID, SHA-256).",
            discussion: """
                The key waits beside the key slot (slots/key-XX.pem.pending, mode 0600) and the device keeps its current \
                identity until a certificate for the new key is installed with `smartreader pki install`. The request is \
                written to DIR/device.csr and printed.
                """)

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Option(name: .long, help: "p256 (default), rsa2048 or rsa3072.")
        var keyType: DeviceKeyType = .p256

        func run() async throws {
            let enrolment = try DeviceEnrolment(state: stateDirectory.state)
            let request = try enrolment.makeRequest(keyType: keyType)
            let note = "request for CN=\(enrolment.deviceID) in \(enrolment.requestPath); new key aside in \(enrolment.pendingKeyPath)\n"
            FileHandle.standardError.write(Data(note.utf8))
            print(request.requestPEM, terminator: "")
        }
    }

    struct InstallCertificate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install the certificate a CA made from `smartreader pki csr`'s request, with its key.",
            discussion: """
                The certificate must be for the pending key and the device ID, currently valid, and signed by the CA \
                (--ca, else the client CA slot when it is filled); otherwise nothing changes. A running daemon uses the \
                new identity after `smartreader config reload` or a restart.
                """)

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Argument(help: "PEM file: the certificate, optionally followed by its intermediates.")
        var certificate: String

        @Option(name: .long, help: "PEM file of the CA that signed it.")
        var ca: String?

        func run() async throws {
            let enrolment = try DeviceEnrolment(state: stateDirectory.state)
            let issued = try enrolment.install(
                certificatePEM: try ProtectedFile.read(certificate), authorityPEM: try ca.map { try ProtectedFile.read($0) },
                source: certificate)
            print("installed CN=\(enrolment.deviceID), valid until \(issued.chain[0].notValidAfter), in \(enrolment.certificatePath)")
        }
    }
}

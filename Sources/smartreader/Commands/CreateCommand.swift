import ArgumentParser
import DeviceIdentity
import Gateway
import HostSystem
import SpringCore

struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a device for your own PKI: its state directory, broker and broker CA; the key and certificate come next.",
        discussion: """
            The device gets TLS with client authentication (register 0288 = 370E8D4D8F) and the broker's CA in slot 0E. \
            Then give it an identity with `smartreader enroll` (EJBCA or EST), or with `smartreader pki csr`, your CA, \
            and `smartreader pki install`. With the development PKI, `smartreader pki provision` does all of it at once.
            """)

    @OptionGroup var stateDirectory: StateDirectoryOption

    @Option(help: "Serial number, 8 hex digits: the device ID and the certificate's CN.")
    var serial: String

    @Option(help: "Broker written into registers 0286/0285, as HOST or HOST:PORT.")
    var broker: String

    @Option(name: .long, help: "PEM file of the CA that signs the broker's certificate.")
    var brokerCa: String

    @Option(help: "Device profile from DeviceProfiles/ (`smartreader profiles` lists them).")
    var profile = "springpark"

    func run() async throws {
        let loaded = try DeviceProfile.load(name: profile, directory: DataFiles.directory("DeviceProfiles"))
        try DeviceProvisioning.createForEnrolment(
            state: stateDirectory.state, profile: loaded, serialNumber: serial, broker: try BrokerAddress(parsing: broker),
            brokerAuthorityPEM: try ProtectedFile.read(brokerCa))
        print(
            "created \(loaded.constants.productName) \(serial.uppercased()) in \(stateDirectory.path); next: `smartreader enroll` or `smartreader pki csr`"
        )
    }
}

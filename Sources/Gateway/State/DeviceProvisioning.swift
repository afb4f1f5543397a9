import DeviceIdentity
import Foundation
import HostSystem
import SpringCore
import X509

/// Makes a factory-fresh device from a development PKI: its key and certificate (CN = serial
/// number) in slot 0D, the root CA in slot 0E, the Client CA in slot 0F, and a configuration
/// that enables TLS with client authentication.
public struct DeviceProvisioning: Sendable {
    public var pki: DevelopmentPKI
    public var profile: DeviceProfile

    public init(pki: DevelopmentPKI, profile: DeviceProfile) {
        self.pki = pki
        self.profile = profile
    }

    public static func validateSerialNumber(_ serial: String) throws(GatewayError) -> String {
        let upper = serial.uppercased()
        guard upper.utf8.count == 8, Hex.decode(upper) != nil else {
            throw .badRegister(.deviceID, reason: "serial number \"\(serial)\" must be 8 hex digits (4 bytes), e.g. DA1275B0")
        }
        return upper
    }

    /// `registeringName: false` leaves the PKI's register of names as it is (see `DevelopmentPKI.issue`).
    public func provision(state: DeviceStateDirectory, serialNumber: String, broker: BrokerAddress, registeringName: Bool = true) throws {
        let (serial, tls) = try Self.create(state: state, profile: profile, serialNumber: serialNumber, broker: broker)
        let identity = try pki.issue(role: .device, commonName: serial, registering: registeringName)
        let files = state.identityFiles(tls)
        try ProtectedFile.write(identity.privateKeyPEM, to: files.key, mode: 0o600)
        try ProtectedFile.write(identity.certificatePEM, to: files.certificate, mode: 0o644)
        try ProtectedFile.write(identity.issuerPEM, to: files.clientAuthority, mode: 0o644)
        try ProtectedFile.write(try ProtectedFile.read(pki.rootCertificatePath), to: files.serverAuthority, mode: 0o644)
    }

    /// A device whose identity comes from the operator's own PKI: factory files, TLS with client
    /// authentication on, and the CA that signs the broker's certificate in its slot. Its key and
    /// certificate come next, from `smartreader enroll` or `pki csr` and `pki install`.
    public static func createForEnrolment(
        state: DeviceStateDirectory, profile: DeviceProfile, serialNumber: String, broker: BrokerAddress, brokerAuthorityPEM: String
    ) throws {
        guard (try? Certificate.all(inPEM: brokerAuthorityPEM))?.isEmpty == false else {
            throw GatewayError.tls("the broker's CA file holds no PEM certificate")
        }
        let (_, tls) = try create(state: state, profile: profile, serialNumber: serialNumber, broker: broker)
        try ProtectedFile.write(brokerAuthorityPEM, to: state.identityFiles(tls).serverAuthority, mode: 0o644)
    }

    /// The factory files and a configuration naming the broker with TLS options as provisioned;
    /// returns the serial number as stored (upper case) and those options.
    private static func create(
        state: DeviceStateDirectory, profile: DeviceProfile, serialNumber: String, broker: BrokerAddress
    ) throws -> (serial: String, tls: TLSOptionsRegister) {
        let serial = try validateSerialNumber(serialNumber)
        if FileManager.default.fileExists(atPath: state.file("factory.json")) {
            throw GatewayError.stateDirectory(path: state.path, reason: "already holds a device; choose an empty directory")
        }
        var configuration = profile.defaults
        // A SpringPark leaves the factory with 02C0 = 00 (network off); provisioning it for a
        // broker is what makes it an MQTT client, on the bench as here.
        configuration[.mode] = [ProfileRegister.emulatedDefault]
        configuration.setString(.broker, broker.host)
        var ports = [UInt8](repeating: 0, count: 14)
        if let port = broker.port {
            ports[10] = UInt8(port >> 8)
            ports[11] = UInt8(port & 0xFF)
        }
        configuration[.networkPorts] = ports
        let tls = TLSOptionsRegister.provisioned
        configuration[.tlsOptions] = tls.bytes
        try state.create(profile: profile, serialNumber: serial, configuration: configuration)
        return (serial, tls)
    }
}

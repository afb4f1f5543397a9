import DeviceIdentity
import Foundation
import SpringCore

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

    public func provision(state: DeviceStateDirectory, serialNumber: String, broker: BrokerAddress) throws {
        let serial = try Self.validateSerialNumber(serialNumber)
        if FileManager.default.fileExists(atPath: state.file("factory.json")) {
            throw GatewayError.stateDirectory(path: state.path, reason: "already holds a device; choose an empty directory")
        }
        var configuration = profile.defaults
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

        let identity = try pki.issue(role: .device, commonName: serial)
        let files = state.identityFiles(tls)
        try ProtectedFile.write(identity.privateKeyPEM, to: files.key, mode: 0o600)
        try ProtectedFile.write(identity.certificatePEM, to: files.certificate, mode: 0o644)
        try ProtectedFile.write(identity.issuerPEM, to: files.clientAuthority, mode: 0o644)
        try ProtectedFile.write(try ProtectedFile.read(pki.rootCertificatePath), to: files.serverAuthority, mode: 0o644)
    }
}

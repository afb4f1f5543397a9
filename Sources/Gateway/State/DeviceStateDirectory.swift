import DeviceIdentity
import Foundation
import HostSystem
import Logging
import SpringCore

/// The device's non-volatile memory, one directory per device:
/// `factory.json` (profile, serial number, product constants), `factory-config.json` (the
/// factory register defaults, CONFIG-DATA), `config.json` (the current CONFIG-DATA),
/// `slots/cert-XX.pem` and `slots/key-XX.pem` (certificate and key slots), and `bootcount`.
public struct DeviceStateDirectory: Sendable {
    public let path: String

    public struct FactoryRecord: Codable, Sendable {
        public var profile: String
        public var serialNumber: String
        public var constants: ProductConstants
    }

    public init(path: String) {
        self.path = path
    }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
    public var configurationPath: String { file("config.json") }
    public var factoryConfigurationPath: String { file("factory-config.json") }
    /// The durable outbox: events read and not yet acknowledged by the broker (SQLite, WAL).
    public var spoolPath: String { file("spool.sqlite") }
    public func certificatePath(slot: UInt8) -> String { file("slots/cert-\(Hex.encode([slot])).pem") }
    public func keyPath(slot: UInt8) -> String { file("slots/key-\(Hex.encode([slot])).pem") }

    /// Where register 0288 puts the device's TLS files.
    public struct IdentityFiles: Sendable {
        public var certificate: String
        public var key: String
        /// The client CA (slot 0F), sent after the certificate when 0288 says so.
        public var clientAuthority: String
        /// The CA the broker's chain must lead to.
        public var serverAuthority: String
    }

    public func identityFiles(_ tls: TLSOptionsRegister) -> IdentityFiles {
        IdentityFiles(
            certificate: certificatePath(slot: tls.clientCertificateSlot), key: keyPath(slot: tls.clientKeySlot),
            clientAuthority: certificatePath(slot: tls.clientCASlot),
            serverAuthority: certificatePath(slot: tls.serverCASlot))
    }

    public func loadFactory() throws(GatewayError) -> FactoryRecord {
        let data: [UInt8]
        do {
            data = try RegularFile.read(file("factory.json"), maximumSize: ConfigData.maximumFileSize)
        } catch .missing {
            throw .stateDirectory(path: path, reason: "no factory.json; create the device with `smartreader pki provision`")
        } catch {
            throw .stateDirectory(path: path, reason: error.description)
        }
        do {
            return try JSONDecoder().decode(FactoryRecord.self, from: Data(data))
        } catch {
            throw .stateDirectory(path: path, reason: "factory.json is malformed: \(error)")
        }
    }

    /// The factory defaults with the current configuration applied over them, as the device
    /// sees its registers.
    public func loadConfiguration() throws(GatewayError) -> ConfigData {
        try effectiveConfiguration(loadCurrentFile())
    }

    /// The factory defaults with `file` (a config.json, on disk or proposed) applied over them.
    public func effectiveConfiguration(_ file: ConfigData) throws(GatewayError) -> ConfigData {
        do {
            return try ConfigData.load(contentsOf: factoryConfigurationPath).merging(file)
        } catch {
            throw .stateDirectory(path: path, reason: error.description)
        }
    }

    /// config.json alone: what was set on top of the factory defaults.
    public func loadCurrentFile() throws(GatewayError) -> ConfigData {
        do {
            return try ConfigData.load(contentsOf: configurationPath)
        } catch .missing {
            return ConfigData()
        } catch {
            throw .stateDirectory(path: path, reason: error.description)
        }
    }

    /// Replaces config.json atomically (temporary file, fsync, rename), readable by the owner only:
    /// it may hold the MQTT password.
    public func saveConfiguration(_ configuration: ConfigData) throws(GatewayError) {
        do {
            try ProtectedFile.write(Array(configuration.serialized()), to: configurationPath, mode: 0o600)
        } catch {
            throw .stateDirectory(path: path, reason: error.description)
        }
    }

    /// Changes config.json as an operator editing it would: what `change` leaves is saved, and
    /// nothing is saved when it throws.
    public func editConfiguration(_ change: (inout ConfigData) throws -> Void) throws {
        var configuration = try loadCurrentFile()
        try change(&configuration)
        try saveConfiguration(configuration)
    }

    /// Creates a factory-fresh device: constants, defaults and the current configuration.
    public func create(profile: DeviceProfile, serialNumber: String, configuration: ConfigData) throws(GatewayError) {
        let record = FactoryRecord(profile: profile.name, serialNumber: serialNumber, constants: profile.constants)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try ProtectedFile.makeDirectory(path)
            try ProtectedFile.makeDirectory(file("slots"))
            try ProtectedFile.write(Array(try encoder.encode(record)), to: file("factory.json"), mode: 0o644)
            try ProtectedFile.write(Array(profile.defaults.serialized()), to: factoryConfigurationPath, mode: 0o644)
            try ProtectedFile.write(Array(configuration.serialized()), to: configurationPath, mode: 0o600)
        } catch let error as FileError {
            throw .stateDirectory(path: path, reason: error.description)
        } catch {
            throw .stateDirectory(path: path, reason: "\(error)")
        }
    }

    /// Counts this boot and returns its number; the count survives restarts like the device's.
    /// A count that is unreadable, negative or at its end starts again at 1 with a warning
    /// rather than stopping the device: refusing would make every start under systemd fail alike.
    public func nextBootCount(logger: Logger) throws(GatewayError) -> Int {
        let counter = file("bootcount")
        var previous = 0
        if let text = try? String(contentsOfFile: counter, encoding: .utf8) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            switch Int(trimmed) {
            case let count? where count >= 0 && count < Int.max:
                previous = count
            case let count?:
                logger.warning("\(counter) holds \(count), which a boot count cannot continue from; counting again from 1")
            case nil:
                logger.warning(
                    "\(counter) does not hold a boot count (\(trimmed.prefix(20).debugDescription)); counting again from 1")
            }
        }
        do {
            try ProtectedFile.write("\(previous + 1)\n", to: counter, mode: 0o600)
        } catch {
            throw .stateDirectory(path: path, reason: error.description)
        }
        return previous + 1
    }
}

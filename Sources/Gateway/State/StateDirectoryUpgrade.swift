import DeviceIdentity
import Foundation
import HostSystem
import Logging
import SpringCore

/// Brings a state directory written by an earlier version to this one's reading of the vendor's
/// register map, once, at the start of `run` and `replay`, so that upgrading the package does not
/// take a fleet off the air. Each file it changes is kept beside as `NAME.before-upgrade`.
///
/// - `factory-config.json` that no longer loads (02A0 was one byte; the vendor's is five) is
///   written anew from the device's profile: it holds the factory defaults, nothing of the user's.
/// - In `config.json` and `config.last-good.json`, what earlier versions wrote themselves is
///   rewritten to the same meaning in the vendor's layout: 0288 `370E8D0D01` (from `pki
///   provision`: client CA sent, key in slot 0D) becomes `370E8D4D8F`, and a one-byte 02A0 (the
///   output format, from `config set output.format`) becomes the five bytes with that format.
///   Other values are left for the judgement to name.
public enum StateDirectoryUpgrade {
    public static func run(_ state: DeviceStateDirectory, logger: Logger) throws(GatewayError) {
        do {
            try upgradeFactoryDefaults(state, logger: logger)
            for name in ["config.json", "config.last-good.json"] { try upgradeRegisters(state.file(name), logger: logger) }
        } catch let error as GatewayError {
            throw error
        } catch {
            throw .stateDirectory(path: state.path, reason: "upgrading it to this version failed: \(error)")
        }
    }

    private static func upgradeFactoryDefaults(_ state: DeviceStateDirectory, logger: Logger) throws {
        let path = state.factoryConfigurationPath
        guard FileManager.default.fileExists(atPath: path) else { return }
        do {
            _ = try ConfigData.load(contentsOf: path)
            return
        } catch {
            let profile = try DeviceProfile.load(name: state.loadFactory().profile, directory: DataFiles.directory("DeviceProfiles"))
            try replace(path, with: Array(profile.defaults.serialized()), mode: 0o644)
            logger.notice("\(path) did not load in this version (\(error)); written anew from profile \(profile.name), the old one kept")
        }
    }

    private static func upgradeRegisters(_ path: String, logger: Logger) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        guard case .object(var root) = try JSONParser.parse(try ConfigData.read(path)), case .object(var config)? = root["config"]
        else { return }
        var changed: [String] = []
        for key in config.keys {
            let parts = key.uppercased().split(separator: ".", maxSplits: 1)
            guard parts.count == 1 || parts.last == "H", case .string(let value)? = config[key] else { continue }
            let register = parts[0].count == 4 && parts[0].hasPrefix("02") ? String(parts[0].dropFirst(2)) : String(parts[0])
            switch (register, value.uppercased()) {
            case ("88", "370E8D0D01"):
                config[key] = .string(Hex.encode(TLSOptionsRegister.provisioned.bytes))
            case ("A0", let format) where format.count == 2:
                config[key] = .string("000300\(format)00")
            default:
                continue
            }
            changed.append("\(key) \(value) -> \(config[key]?.stringValue ?? "")")
        }
        guard !changed.isEmpty else { return }
        root["config"] = .object(config)
        try replace(path, with: JSONValue.object(root).prettyPrinted(), mode: 0o600)
        logger.notice("\(path) upgraded to the vendor's register layout: \(changed.joined(separator: ", ")); the old one kept")
    }

    private static func replace(_ path: String, with content: [UInt8], mode: mode_t) throws {
        let old = path + ".before-upgrade"
        unlink(old)
        guard link(path, old) == 0 else {
            throw GatewayError.stateDirectory(
                path: (path as NSString).deletingLastPathComponent,
                reason: "cannot keep \(path) as \(old): \(String(cString: strerror(errno)))")
        }
        try ProtectedFile.write(content, to: path, mode: mode)
    }
}

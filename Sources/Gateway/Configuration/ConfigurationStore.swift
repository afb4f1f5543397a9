import DeviceIdentity
import Foundation
import HostSystem
import Logging
import SpringCore

/// Judges pushed configurations and keeps the files: `config.json` (what runs, on top of the
/// factory defaults) and `config.last-good.json` (what ran before the last push, for rollback).
public struct ConfigurationStore: Sendable {
    public let state: DeviceStateDirectory
    public let options: DeviceRunOptions

    public init(state: DeviceStateDirectory, options: DeviceRunOptions) {
        self.state = state
        self.options = options
    }

    public var lastGoodPath: String { state.file("config.last-good.json") }

    /// The new `config.json` a push makes, and the settings the device would run with, or an
    /// error naming the file and what is wrong. Nothing is written.
    public func judge(_ push: ConfigurationPush, running: ConfigData, logger: Logger) throws(GatewayError) -> (ConfigData, DeviceSettings) {
        let pushed: ConfigData
        do {
            pushed = try ConfigData.parse(Data(push.content), file: push.source)
        } catch {
            throw .badConfigurationFile(error)
        }
        let file = push.loadDefaults ? pushed : running.merging(pushed)
        // The same judgement as `config validate` and `config set`, TLS identity included.
        let settings = try ConfigurationJudgement(options: options).judge(file, source: push.source, state: state, logger: logger)
        return (file, settings)
    }

    /// The settings a config.json gives over the factory defaults; `source` names it in errors.
    public func settings(for file: ConfigData, source: String) throws(GatewayError) -> DeviceSettings {
        try DeviceSettings(
            factory: state.loadFactory(), configuration: state.effectiveConfiguration(file), configurationFile: source,
            brokerOverride: options.brokerOverride)
    }

    /// Keeps `running` as the last known good configuration, then replaces config.json; both
    /// writes are atomic (temporary file, fsync, rename) and owner-only.
    public func install(_ file: ConfigData, replacing running: ConfigData) throws(GatewayError) {
        do {
            try ProtectedFile.write(Array(running.serialized()), to: lastGoodPath, mode: 0o600)
        } catch {
            throw .stateDirectory(path: state.path, reason: error.description)
        }
        try state.saveConfiguration(file)
    }

    /// Puts the last known good configuration back as config.json and returns it.
    public func rollBack() throws(GatewayError) -> ConfigData {
        let previous: ConfigData
        do {
            previous = try ConfigData.load(contentsOf: lastGoodPath)
        } catch {
            throw .stateDirectory(path: state.path, reason: "cannot roll back: \(error.description)")
        }
        try state.saveConfiguration(previous)
        return previous
    }

    /// A push with no daemon running: judged the same way, then stored for the next start.
    public func storeOffline(_ push: ConfigurationPush, logger: Logger) -> ConfigurationOutcome {
        do {
            let running = try state.loadCurrentFile()
            let (file, settings) = try judge(push, running: running, logger: logger)
            try install(file, replacing: running)
            return ConfigurationOutcome(result: .stored, source: push.source, configID: settings.device.labels.configID)
        } catch {
            return ConfigurationOutcome(result: .rejected, source: push.source, reason: error.description)
        }
    }
}

import Logging
import SpringCore

/// The one judgement of a configuration, whichever way it comes: a push (control socket,
/// inbox, `cfg/set`, SIGHUP), `config push --offline`, `config set` and `config validate`. A
/// file one of them accepts, all accept; `config validate` without a device skips only what
/// needs the device's state directory, and says so.
public struct ConfigurationJudgement: Sendable {
    /// `insecure` allows TLS off or unverified; `brokerOverride` stands in for an empty 0286.
    public let options: DeviceRunOptions

    public init(options: DeviceRunOptions) { self.options = options }

    /// What a configuration says by itself, `effective` being it over the factory defaults:
    /// every register the emulator acts on (sizes, mode, templates, topic names, TLS options), a
    /// broker to reach, and TLS that is on and verifies the broker unless `--insecure`.
    public func judgeRegisters(_ effective: ConfigData, source: String) throws(GatewayError) -> DeviceConfiguration {
        let (device, _) = try DeviceSettings.judged(effective, file: source, brokerOverride: options.brokerOverride)
        guard device.tls.enabled || options.insecure else { throw .plaintextRefused }
        guard !device.tls.enabled || device.tls.serverCheck != .acceptAny || options.insecure else { throw .verificationDisabled }
        return device
    }

    /// The whole judgement of `file`, a config.json (what is set over the device's factory
    /// defaults): the registers as above, then what needs the state directory: the factory
    /// record and the TLS identity register 0288 names (slots present, certificate usable,
    /// CN = client ID, key private). Nothing is written.
    public func judge(_ file: ConfigData, source: String, state: DeviceStateDirectory, logger: Logger) throws(GatewayError)
        -> DeviceSettings
    {
        let effective = try state.effectiveConfiguration(file)
        _ = try judgeRegisters(effective, source: source)
        let settings = try DeviceSettings(
            factory: state.loadFactory(), configuration: effective, configurationFile: source, brokerOverride: options.brokerOverride)
        _ = try DeviceTLSIdentity(settings: settings, state: state, options: options, logger: logger)
        return settings
    }

    /// What `config validate` skips without a state directory, for it to say so.
    public static let needsStateDirectory =
        "the certificate and key slots register 0288 names, the certificate's dates, and CN = client ID (028D)"
}

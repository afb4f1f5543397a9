/// Every register the emulator acts on, read and checked together: a configuration either
/// yields one of these or an error naming the register, so a pushed file is judged whole
/// before anything changes.
public struct DeviceConfiguration: Sendable {
    public var data: ConfigData
    public var labels: DeviceLabels
    public var profile: ProfileRegister
    public var broker: String
    public var ports: NetworkPortsRegister
    public var tls: TLSOptionsRegister
    public var clientOptions: ClientOptionsRegister
    public var naming: MQTTNaming
    public var credentials: MQTTCredentials
    public var features: SmartReaderFeatures
    public var outputFormat: OutputFormat { features.networkFormat }
    public var readDelays: ReadDelaysRegister
    public var keyboard: KeyboardOutput
    public var template: ActiveTemplate?
    /// Whether `{prefix}/{id}/cfg/set` may reconfigure the device (emulator section, off by default).
    public var remoteConfiguration: Bool
    /// The MQTT version to speak (emulator section, `auto` by default).
    public var mqttVersion: MQTTVersionSetting

    /// The emulator's own section, which a real device's loader does not read.
    public static let emulatorSection = "emulator"

    public init(_ data: ConfigData) throws(ConfigurationError) {
        self.data = data
        labels = DeviceLabels(data)
        profile = try ProfileRegister(byte: data[.mode]?.first ?? ProfileRegister.emulatedDefault)
        broker = data.string(.broker)
        ports = NetworkPortsRegister(bytes: data[.networkPorts] ?? [])
        guard let tls = TLSOptionsRegister(bytes: data[.tlsOptions] ?? [0, 0, 0, 0, 0]) else {
            throw .badRegister(.tlsOptions, reason: "must hold 5 bytes")
        }
        // The TLS client always checks the broker's name against its certificate; a register
        // saying otherwise would be silently ignored, so it is refused (see the README).
        if tls.enabled && tls.serverCheck != .acceptAny && !tls.checkServerName {
            throw .badRegister(
                .tlsOptions,
                reason: "turns the broker name check off (byte 0 bit 2, tls.check-name off), which the emulator does not do: "
                    + "it always checks that the broker's certificate names the host it connects to; set tls.check-name on "
                    + "(byte 0 | 04), and give the broker a certificate for that name")
        }
        if tls.enabled && tls.clientAuthentication && tls.clientKeyStore.rawValue > TLSOptionsRegister.KeyStore.atecc.rawValue {
            throw .badRegister(
                .tlsOptions,
                reason: "keeps the client key in secure element \(tls.clientKeyStore.rawValue) (byte 3 bits 7-6), which the vendor "
                    + "reserves; use 1 (ATECC, tls.client-key-store atecc) or 0 (raw)")
        }
        self.tls = tls
        guard let options = ClientOptionsRegister(bytes: data[.clientOptions] ?? ClientOptionsRegister.factoryDefault.bytes) else {
            throw .badRegister(.clientOptions, reason: "must hold 6 bytes")
        }
        clientOptions = options
        naming = try MQTTNaming(data)
        credentials = MQTTCredentials(data)
        features = try SmartReaderFeatures(bytes: data[.outputFormats] ?? [])
        readDelays = try ReadDelaysRegister(bytes: data[.readDelays] ?? [])
        keyboard = try KeyboardOutput(data)
        template = try ActiveTemplate.find(in: data)
        remoteConfiguration = try Self.remoteConfiguration(in: data)
        mqttVersion = try MQTTVersionSetting.read(from: data)
    }

    static func remoteConfiguration(in data: ConfigData) throws(ConfigurationError) -> Bool {
        guard let section = data.otherSections[emulatorSection] else { return false }
        guard case .object(let fields) = section else { throw .badSection(emulatorSection, reason: "must be a JSON object") }
        for key in fields.keys where key != "remote-config" && key != MQTTVersionSetting.key {
            throw .badSection(
                emulatorSection,
                reason:
                    "has \(QuotedToken.quote(key)), which the emulator does not know; it knows \"remote-config\" and \"\(MQTTVersionSetting.key)\""
            )
        }
        switch fields["remote-config"] {
        case nil: return false
        case .bool(let enabled)?: return enabled
        default: throw .badSection(emulatorSection, reason: "\"remote-config\" must be true or false")
        }
    }
}

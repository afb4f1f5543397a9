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
    /// Templates enabled by their 03t0, in order.
    public var templates: [ActiveTemplate]
    /// Whether `{prefix}/{id}/cfg/set` may reconfigure the device (emulator section, off by default).
    public var remoteConfiguration: Bool
    /// The MQTT version to speak (emulator section, `auto` by default).
    public var mqttVersion: MQTTVersionSetting
    /// Whether the device adds what a real one does not send (emulator section "extensions", on by
    /// default): off, it publishes exactly what the vendor documents (docs/publishing.md, "Extensions").
    public var extensions: Bool

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
        try tls.checkEmulated()
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
        templates = try ActiveTemplate.enabled(in: data)
        remoteConfiguration = try Self.remoteConfiguration(in: data)
        mqttVersion = try MQTTVersionSetting.read(from: data)
        extensions = try Self.emulatorFlag(Self.extensionsKey, in: data) ?? true
        // cfg/set is itself an extension: a setting that turns them all off cannot leave it on unnoticed.
        if remoteConfiguration && !extensions {
            throw .badSection(
                Self.emulatorSection,
                reason: "has \"remote-config\": true with \"\(Self.extensionsKey)\": false, but cfg/set is an extension a real device "
                    + "does not have; drop \"remote-config\" or set \"\(Self.extensionsKey)\": true")
        }
    }

    public static let extensionsKey = "extensions"
    static let emulatorKeys = ["remote-config", MQTTVersionSetting.key, extensionsKey]

    static func remoteConfiguration(in data: ConfigData) throws(ConfigurationError) -> Bool {
        try emulatorFlag("remote-config", in: data) ?? false
    }

    /// A true/false member of the emulator section, nil when absent; unknown members are refused.
    static func emulatorFlag(_ key: String, in data: ConfigData) throws(ConfigurationError) -> Bool? {
        guard let section = data.otherSections[emulatorSection] else { return nil }
        guard case .object(let fields) = section else { throw .badSection(emulatorSection, reason: "must be a JSON object") }
        for key in fields.keys where !emulatorKeys.contains(key) {
            let known = emulatorKeys.map { "\"\($0)\"" }.joined(separator: ", ")
            throw .badSection(
                emulatorSection, reason: "has \(QuotedToken.quote(key)), which the emulator does not know; it knows \(known)")
        }
        switch fields[key] {
        case nil: return nil
        case .bool(let enabled)?: return enabled
        default: throw .badSection(emulatorSection, reason: "\"\(key)\" must be true or false")
        }
    }
}

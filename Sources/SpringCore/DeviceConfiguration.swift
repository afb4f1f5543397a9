/// Every register the emulator acts on, read and checked together: a configuration either
/// yields one of these or an error naming the register, so a pushed file is judged whole
/// before anything changes.
public struct DeviceConfiguration: Sendable {
    public var data: ConfigData
    public var labels: DeviceLabels
    public var mode: DeviceMode
    public var broker: String
    public var ports: NetworkPortsRegister
    public var tls: TLSOptionsRegister
    public var clientOptions: ClientOptionsRegister
    public var naming: MQTTNaming
    public var credentials: MQTTCredentials
    public var outputFormat: OutputFormat
    public var readDelays: ReadDelaysRegister
    public var keyboard: KeyboardOutput
    public var template: ActiveTemplate?
    /// Whether `{prefix}/{id}/cfg/set` may reconfigure the device (emulator section, off by default).
    public var remoteConfiguration: Bool

    /// The emulator's own section, which a real device's loader does not read.
    public static let emulatorSection = "emulator"

    public init(_ data: ConfigData) throws(ConfigurationError) {
        self.data = data
        labels = DeviceLabels(data)
        let modeCode = data[.mode]?.first ?? DeviceMode.mqttSmartReader.rawValue
        guard let mode = DeviceMode(rawValue: modeCode) else {
            throw .badRegister(.mode, reason: "is \(Hex.encode([modeCode])), not a mode; use 64, 14, 24, 03 or 04")
        }
        guard mode == .mqttSmartReader else {
            throw .badRegister(.mode, reason: "is \(Hex.encode([modeCode])) (\(mode)); only 64 (MQTT Smart Reader) is emulated")
        }
        self.mode = mode
        broker = data.string(.broker)
        ports = NetworkPortsRegister(bytes: data[.networkPorts] ?? [])
        guard let tls = TLSOptionsRegister(bytes: data[.tlsOptions] ?? [0, 0, 0, 0, 0]) else {
            throw .badRegister(.tlsOptions, reason: "must hold 5 bytes")
        }
        self.tls = tls
        guard let options = ClientOptionsRegister(bytes: data[.clientOptions] ?? ClientOptionsRegister.factoryDefault.bytes) else {
            throw .badRegister(.clientOptions, reason: "must hold 6 bytes")
        }
        clientOptions = options
        naming = MQTTNaming(data)
        credentials = MQTTCredentials(data)
        let formatCode = data[.outputFormats]?.first ?? OutputFormat.json.rawValue
        guard let format = OutputFormat(rawValue: formatCode) else {
            throw .badRegister(.outputFormats, reason: "is \(Hex.encode([formatCode])); use 02 (RDR/JSON) or 01 ($SCRDR)")
        }
        outputFormat = format
        readDelays = try ReadDelaysRegister(bytes: data[.readDelays] ?? [])
        keyboard = try KeyboardOutput(data)
        template = try ActiveTemplate.find(in: data)
        remoteConfiguration = try Self.remoteConfiguration(in: data)
    }

    static func remoteConfiguration(in data: ConfigData) throws(ConfigurationError) -> Bool {
        guard let section = data.otherSections[emulatorSection] else { return false }
        guard case .object(let fields) = section else { throw .badSection(emulatorSection, reason: "must be a JSON object") }
        for key in fields.keys where key != "remote-config" {
            throw .badSection(emulatorSection, reason: "has \"\(key)\", which the emulator does not know; it knows \"remote-config\"")
        }
        switch fields["remote-config"] {
        case nil: return false
        case .bool(let enabled)?: return enabled
        default: throw .badSection(emulatorSection, reason: "\"remote-config\" must be true or false")
        }
    }
}

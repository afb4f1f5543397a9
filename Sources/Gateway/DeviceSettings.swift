import SpringCore

/// The registers the running device acts on, read once from the state directory.
public struct DeviceSettings: Sendable {
    public var factory: DeviceStateDirectory.FactoryRecord
    public var configuration: ConfigData
    public var broker: BrokerAddress
    public var tls: TLSOptionsRegister
    public var clientOptions: ClientOptionsRegister
    public var topics: DeviceTopics
    /// Register 028D; empty means "the certificate's CN" (or the serial number without TLS).
    public var configuredClientID: String
    public var outputFormat: OutputFormat
    /// Registers 028B/028C, sent in CONNECT when set (brokers that want both a certificate and a password).
    public var login: String?
    public var password: [UInt8]?

    public init(state: DeviceStateDirectory, brokerOverride: BrokerAddress?) throws(GatewayError) {
        factory = try state.loadFactory()
        configuration = try state.loadConfiguration()
        guard let tls = TLSOptionsRegister(bytes: configuration[.tlsOptions] ?? [0, 0, 0, 0, 0]) else {
            throw .badRegister(.tlsOptions, reason: "must hold 5 bytes")
        }
        self.tls = tls
        guard let options = ClientOptionsRegister(bytes: configuration[.clientOptions] ?? ClientOptionsRegister.factoryDefault.bytes) else {
            throw .badRegister(.clientOptions, reason: "must hold 6 bytes")
        }
        clientOptions = options
        let mode = configuration[.mode]?.first ?? 0x64
        guard mode == 0x64 else { throw .unsupportedMode(mode) }
        let format = configuration[.outputFormats]?.first ?? OutputFormat.json.rawValue
        guard format == OutputFormat.json.rawValue else { throw .unsupportedOutputFormat(format) }
        outputFormat = .json

        let configuredHost = configuration.string(.broker)
        let port = NetworkPortsRegister(bytes: configuration[.networkPorts] ?? []).effectiveMQTTPort(tls: tls.enabled)
        if let brokerOverride {
            broker = BrokerAddress(host: brokerOverride.host, port: brokerOverride.port ?? port)
        } else {
            guard !configuredHost.isEmpty else { throw .noBroker(configFile: state.configurationPath) }
            broker = BrokerAddress(host: configuredHost, port: port)
        }
        configuredClientID = configuration.string(.clientID)
        login = configuration.string(.login).isEmpty ? nil : configuration.string(.login)
        password = (configuration[.password] ?? []).isEmpty ? nil : configuration[.password]
        let deviceID = configuration.string(.deviceID)
        topics = DeviceTopics(
            prefix: configuration.string(.topicPrefix),
            deviceID: deviceID.isEmpty ? factory.serialNumber : deviceID)
    }

    public var brokerPort: Int { broker.port ?? (tls.enabled ? 8883 : 1883) }
}

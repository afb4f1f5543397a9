import SpringCore

/// What the running device acts on: its factory record, its checked configuration, and the
/// broker and topics they add up to.
public struct DeviceSettings: Sendable {
    public var factory: DeviceStateDirectory.FactoryRecord
    public var device: DeviceConfiguration
    public var broker: BrokerAddress
    public var topics: DeviceTopics

    public init(state: DeviceStateDirectory, brokerOverride: BrokerAddress?) throws(GatewayError) {
        try self.init(
            factory: state.loadFactory(), configuration: state.loadConfiguration(), configurationFile: state.configurationPath,
            brokerOverride: brokerOverride)
    }

    /// Settings for a configuration that need not be on disk yet (a push being judged).
    public init(
        factory: DeviceStateDirectory.FactoryRecord, configuration: ConfigData, configurationFile: String, brokerOverride: BrokerAddress?
    ) throws(GatewayError) {
        self.factory = factory
        (device, broker) = try Self.judged(configuration, file: configurationFile, brokerOverride: brokerOverride)
        let deviceID = device.naming.deviceID
        topics = DeviceTopics(prefix: device.naming.topicPrefix, deviceID: deviceID.isEmpty ? factory.serialNumber : deviceID)
    }

    /// Every register checked, and the broker they name or the override: the part of
    /// `ConfigurationJudgement` that every start and every push goes through.
    static func judged(_ configuration: ConfigData, file: String, brokerOverride: BrokerAddress?) throws(GatewayError) -> (
        DeviceConfiguration, BrokerAddress
    ) {
        let device: DeviceConfiguration
        do {
            device = try DeviceConfiguration(configuration)
        } catch {
            throw .configuration(file: file, error)
        }
        let port = device.ports.effectiveMQTTPort(tls: device.tls.enabled)
        if let brokerOverride { return (device, BrokerAddress(host: brokerOverride.host, port: brokerOverride.port ?? port)) }
        guard !device.broker.isEmpty else { throw .noBroker(configFile: file) }
        return (device, BrokerAddress(host: device.broker, port: port))
    }

    public var configuration: ConfigData { device.data }
    public var tls: TLSOptionsRegister { device.tls }
    public var clientOptions: ClientOptionsRegister { device.clientOptions }
    public var outputFormat: OutputFormat { device.outputFormat }
    /// Register 028D; empty means "the certificate's CN" (or the serial number without TLS).
    public var configuredClientID: String { device.naming.clientID }
    public var login: String? { device.credentials.login }
    public var password: [UInt8]? { device.credentials.password }
    public var brokerPort: Int { broker.port ?? (tls.enabled ? 8883 : 1883) }
}

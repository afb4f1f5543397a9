import ArgumentParser
import Gateway

/// Which device, and how it reaches its broker: what every command that connects a device needs.
struct DeviceConnectionOptions: ParsableArguments {
    @OptionGroup var stateDirectory: StateDirectoryOption

    @Option(name: .long, help: "Broker as HOST, HOST:PORT or [IPv6]:PORT; overrides registers 0286 and 0285.")
    var broker: String?

    @Option(
        name: .long,
        help: """
            MQTT protocol version: 5 or 3.1.1; overrides the configuration's emulator.mqtt-version (by default auto: \
            5, falling back to 3.1.1 when the broker turns 5 down).
            """)
    var mqttVersion: MQTTVersionArgument?

    var state: DeviceStateDirectory { stateDirectory.state }

    func brokerOverride() throws -> BrokerAddress? { try broker.map { try BrokerAddress(parsing: $0) } }
}

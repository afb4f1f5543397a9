import ArgumentParser
import Gateway

/// How a device runs (`run`, `replay`): its connection, what it may relax, and its spool.
struct DeviceOptions: ParsableArguments {
    @OptionGroup var connection: DeviceConnectionOptions

    @Flag(
        name: .long,
        help: "Allow plain MQTT or an unverified broker certificate when the registers ask for it. Logged loudly; never use in production.")
    var insecure = false

    @Flag(
        name: .long,
        help: """
            Add "EventId":N to each READER EVENT (JSON output): the id MQTT 5 carries as the user property event-id, \
            for consumers on MQTT 3.1.1, which has no user properties. An extension a real SpringPark does not send.
            """)
    var eventIdInPayload = false

    @Flag(name: .long, help: "Run even when the device's private key is readable by other users (warned); refused otherwise.")
    var allowReadableKey = false

    @OptionGroup(title: "Spool (events read and not yet acknowledged by the broker)")
    var spool: SpoolOptions

    func runOptions(retryUntilConnected: Bool) throws -> DeviceRunOptions {
        DeviceRunOptions(
            brokerOverride: try connection.brokerOverride(), insecure: insecure, protocolVersion: connection.mqttVersion?.version,
            retryUntilConnected: retryUntilConnected, spoolLimits: spool.limits,
            statusReportsSpool: spool.statusSpool, eventIDInPayload: eventIdInPayload, allowReadableKey: allowReadableKey)
    }
}

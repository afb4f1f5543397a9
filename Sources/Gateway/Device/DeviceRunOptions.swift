import MQTT
import Spool

/// How a device is run, beyond what its registers say.
public struct DeviceRunOptions: Sendable {
    public var brokerOverride: BrokerAddress?
    public var insecure: Bool
    /// The MQTT version pinned by the command line; nil leaves it to the configuration's
    /// `emulator.mqtt-version` (by default 5.0, falling back to 3.1.1).
    public var protocolVersion: MQTTProtocolVersion?
    /// Keep retrying the first connection (a daemon) rather than failing (a one-shot replay).
    public var retryUntilConnected: Bool
    public var maximumInFlight: Int
    public var spoolLimits: SpoolLimits
    /// Adds the emulator's `Spool` field to STATUS (depth, losses, oldest age).
    public var statusReportsSpool: Bool
    /// Adds `EventId` to READER EVENT JSON, for consumers without MQTT 5 user properties.
    public var eventIDInPayload: Bool
    /// Runs with a private key other users can read (warned about) instead of refusing.
    public var allowReadableKey: Bool
    /// Sends the spool's depth and losses to the metrics backend every second.
    public var reportsSpoolMetrics: Bool
    /// Hears each event the broker acknowledged, with the time from its PUBLISH being handed
    /// to the client to its PUBACK (the fleet simulator measures with it).
    public var eventAcknowledged: (@Sendable (_ publishToPuback: Duration) -> Void)?
    /// Hears each connection this boot lost after it was up, and why (the fleet simulator counts them).
    public var connectionLost: (@Sendable (any Error) -> Void)?
    /// Runs the operator's program for each valid command on `rdr/cmd` (`run --command-hook`).
    public var commandHook: CommandHook?
    /// Where the MQTT client's connections come from: the network, or channels on which a test
    /// plays the broker (the device then runs on the test's event loop): the package's tests only.
    package var transport: MQTTTransport = .network

    public init(
        brokerOverride: BrokerAddress? = nil, insecure: Bool = false, protocolVersion: MQTTProtocolVersion? = nil,
        retryUntilConnected: Bool = false, maximumInFlight: Int = 1024, spoolLimits: SpoolLimits = .standard,
        statusReportsSpool: Bool = false, eventIDInPayload: Bool = false, allowReadableKey: Bool = false
    ) {
        self.brokerOverride = brokerOverride
        self.insecure = insecure
        self.protocolVersion = protocolVersion
        self.retryUntilConnected = retryUntilConnected
        self.maximumInFlight = maximumInFlight
        self.spoolLimits = spoolLimits
        self.statusReportsSpool = statusReportsSpool
        self.eventIDInPayload = eventIDInPayload
        self.allowReadableKey = allowReadableKey
        self.eventAcknowledged = nil
        self.connectionLost = nil
        self.reportsSpoolMetrics = false
    }
}

import SpringCore

/// A CONFIG-DATA file offered to a running device, with SpringCoreConfig's options: restore the
/// factory defaults first (or merge into the current configuration), then reboot (or only store).
public struct ConfigurationPush: Sendable {
    public var content: [UInt8]
    /// Where it came from, for messages: a file name, `inbox/NAME`, an MQTT topic, `SIGHUP`.
    public var source: String
    public var loadDefaults: Bool
    public var reset: Bool
    /// How a push from the broker (`cfg/set`) came; nil for a local one.
    public var brokerDelivery: BrokerDelivery?

    /// A message on `cfg/set`: published while the device listened, or kept by the broker and
    /// delivered again at every subscription, so at every reboot.
    public enum BrokerDelivery: Sendable {
        case live, retained
    }

    public init(
        content: [UInt8], source: String, loadDefaults: Bool = true, reset: Bool = true, brokerDelivery: BrokerDelivery? = nil
    ) {
        self.content = content
        self.source = source
        self.loadDefaults = loadDefaults
        self.reset = reset
        self.brokerDelivery = brokerDelivery
    }
}

/// What became of a push, told to whoever pushed it (socket reply, inbox result file, `cfg/result`).
public struct ConfigurationOutcome: Sendable, Equatable, CustomStringConvertible {
    public enum Result: String, Sendable {
        /// Written, rebooted, and connected to the broker with it.
        case applied
        /// Written; used from the next reboot (`--no-reset`).
        case stored
        /// Judged bad; nothing changed.
        case rejected
        /// Written and rebooted, but the broker could not be reached; the previous configuration is back.
        case rolledBack = "rolled-back"
        /// The same as what runs (or a retained push already handled): nothing written, no reboot.
        case unchanged
        /// Written and rebooted, but the daemon stopped during the trial, which its next start resumes.
        case interrupted
    }

    public var result: Result
    public var source: String
    public var configID: String?
    public var reason: String?

    public init(result: Result, source: String, configID: String? = nil, reason: String? = nil) {
        self.result = result
        self.source = source
        self.configID = configID
        self.reason = reason
    }

    public var succeeded: Bool { result == .applied || result == .stored || result == .unchanged }

    public var json: String {
        var object = CompactJSONObject()
        object.add("Result", result.rawValue)
        object.add("Source", source)
        object.addIfPresent("ConfigId", configID)
        object.addIfPresent("Reason", reason)
        return object.text
    }

    public init?(json: some Collection<UInt8>) {
        guard case .object(let fields)? = try? JSONParser.parse(json), let result = fields["Result"]?.stringValue.flatMap(Result.init),
            let source = fields["Source"]?.stringValue
        else { return nil }
        self.init(result: result, source: source, configID: fields["ConfigId"]?.stringValue, reason: fields["Reason"]?.stringValue)
    }

    public var description: String {
        switch result {
        case .applied: "\(source): applied; the device rebooted and is connected" + (configID.map { " (ConfigId \($0))" } ?? "")
        case .stored: "\(source): stored; it takes effect at the next reboot"
        case .rejected: "\(source): rejected, nothing changed: \(reason ?? "")"
        case .rolledBack: "\(source): rolled back to the previous configuration: \(reason ?? "")"
        case .unchanged: "\(source): unchanged, nothing to do: " + (reason ?? "it is the configuration already running")
        case .interrupted: "\(source): interrupted: \(reason ?? "")"
        }
    }
}

import ArgumentParser
import Gateway
import Logging
import MQTT

/// Log lines go to standard error so that a command's own output stays clean on standard output.
func makeLogger(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .trace
        return handler
    }
    var logger = Logger(label: "smartreader")
    logger.logLevel = level
    return logger
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    func makeLogger() -> Logger { smartreader.makeLogger(level: logLevel) }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct DeviceOptions: ParsableArguments {
    @Option(name: .long, help: "The device's state directory (its non-volatile memory), as made by `smartreader pki provision`.")
    var stateDir: String

    @Option(name: .long, help: "Broker as HOST, HOST:PORT or [IPv6]:PORT; overrides registers 0286 and 0285.")
    var broker: String?

    @Option(name: .long, help: "MQTT protocol version: 5 or 3.1.1.")
    var mqttVersion: MQTTVersionArgument = .v5

    @Flag(
        name: .long,
        help: "Allow plain MQTT or an unverified broker certificate when the registers ask for it. Logged loudly; never use in production.")
    var insecure = false

    func runOptions(retryUntilConnected: Bool) throws -> DeviceRunOptions {
        DeviceRunOptions(
            brokerOverride: try broker.map { try BrokerAddress(parsing: $0) }, insecure: insecure,
            protocolVersion: mqttVersion.version, retryUntilConnected: retryUntilConnected)
    }
}

enum MQTTVersionArgument: String, ExpressibleByArgument, CaseIterable {
    case v5 = "5"
    case v3 = "3.1.1"

    var version: MQTTProtocolVersion { self == .v5 ? .v5 : .v3_1_1 }
}

struct ReplaySpeedOptions: ParsableArguments {
    @Option(name: .long, help: "Replay speed: 2 plays twice as fast as recorded.")
    var speed: Double = 1

    @Flag(name: .long, help: "Ignore the trace's timing and send events as fast as the broker acknowledges them.")
    var fast = false

    func validate() throws {
        guard speed > 0 else { throw ValidationError("--speed must be greater than 0") }
    }

    var effectiveSpeed: Double? { fast ? nil : speed }
}

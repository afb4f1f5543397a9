import ArgumentParser
import Gateway
import Logging
import MQTT
import NIOPosix
import Spool
import TagReaders

/// Prints a line of what a device holds (a ConfigId, a broker's reason string, a tag ID): text
/// from outside, with control characters escaped so that it cannot drive the terminal.
func printEscaped(_ line: String) {
    print(LogLineEscaping.escapedForText(line))
}

/// Log lines go to standard error so that a command's own output stays clean on standard output:
/// readable lines, or one JSON object a line for journald and log shippers.
func makeLogger(level: Logger.Level, format: LogFormat = .text) -> Logger {
    LoggingSystem.bootstrap { label in
        switch format {
        case .text:
            var handler = TextLineLogHandler(label: label)
            handler.logLevel = .trace
            return handler
        case .json:
            var handler = JSONLineLogHandler(label: label)
            handler.logLevel = .trace
            return handler
        }
    }
    var logger = Logger(label: "smartreader")
    logger.logLevel = level
    return logger
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    @Option(name: .long, help: "Log lines as text, or json: one object a line (time, level, label, source, message, metadata).")
    var logFormat: LogFormat = .text

    func makeLogger() -> Logger { smartreader.makeLogger(level: logLevel, format: logFormat) }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Which device, and how it reaches its broker: what every command that connects a device needs.
struct DeviceConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The device's state directory (its non-volatile memory), as made by `smartreader pki provision`.")
    var stateDir: String

    @Option(name: .long, help: "Broker as HOST, HOST:PORT or [IPv6]:PORT; overrides registers 0286 and 0285.")
    var broker: String?

    @Option(
        name: .long,
        help: """
            MQTT protocol version: 5 or 3.1.1; overrides the configuration's emulator.mqtt-version (by default auto: \
            5, falling back to 3.1.1 when the broker turns 5 down).
            """)
    var mqttVersion: MQTTVersionArgument?

    var state: DeviceStateDirectory { DeviceStateDirectory(path: stateDir) }

    func brokerOverride() throws -> BrokerAddress? { try broker.map { try BrokerAddress(parsing: $0) } }
}

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

struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: "Most events the spool holds.")
    var spoolMaxEvents = SpoolLimits.standard.maximumEvents

    @Option(name: .long, help: ArgumentHelp("Most bytes (topic + payload) the spool holds: 65536, 64k, 16MiB, 1G.", valueName: "size"))
    var spoolMaxBytes = "16MiB"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Events waiting longer are dropped unsent and counted as expired: 90s, 15m, 12h, 7d, or none.", valueName: "age"))
    var spoolMaxAge = "7d"

    @Option(
        name: .long,
        help:
            "When the spool is full: hold (the reader waits, nothing is lost) or drop-oldest (the oldest unsent event goes, and is counted)."
    )
    var whenSpoolFull: FullPolicy = .holdReader

    @Flag(
        name: .long, help: "Add a Spool field (Depth, Dropped, Expired, OldestAge) to STATUS; an extension a real SpringPark does not send."
    )
    var statusSpool = false

    func validate() throws {
        guard spoolMaxEvents > 0 else { throw ValidationError("--spool-max-events must be at least 1") }
        guard SpoolLimits.parseBytes(spoolMaxBytes) != nil else {
            throw ValidationError("--spool-max-bytes \(spoolMaxBytes) is not a size; write e.g. 65536, 64k or 16MiB")
        }
        guard SpoolLimits.parseAge(spoolMaxAge) != nil else {
            throw ValidationError("--spool-max-age \(spoolMaxAge) is not an age; write e.g. 90s, 15m, 12h, 7d or none")
        }
    }

    var limits: SpoolLimits {
        SpoolLimits(
            maximumEvents: spoolMaxEvents, maximumBytes: SpoolLimits.parseBytes(spoolMaxBytes) ?? SpoolLimits.standard.maximumBytes,
            maximumAge: SpoolLimits.parseAge(spoolMaxAge) ?? SpoolLimits.standard.maximumAge, whenFull: whenSpoolFull)
    }
}

extension FullPolicy: ExpressibleByArgument {}

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
        let speeds = TraceReplaySource.speeds
        guard speeds.contains(speed) else {
            throw ValidationError(
                "--speed must be from \(speeds.lowerBound) to \(Int(speeds.upperBound)), not \(speed); use --fast for no timing")
        }
    }

    var effectiveSpeed: Double? { fast ? nil : speed }
}

struct MetricsOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464) at /metrics: events, spool, connection state, errors by kind.")
    var metrics: String?

    /// Starts the endpoint when asked; the caller stops it at the end.
    func start(logger: Logger) async throws -> MetricsEndpoint? {
        guard let metrics else { return nil }
        let address = try BrokerAddress(parsing: metrics)
        guard address.port != nil else { throw ValidationError("--metrics needs HOST:PORT, e.g. 127.0.0.1:9464") }
        return try await MetricsEndpoint.start(address: address, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }
}

import ArgumentParser
import DeviceIdentity
import Foundation
import Gateway
import NIOPosix

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks against a local mosquitto.",
        subcommands: [Replay.self])

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay N events at QoS 1 over mutual TLS, then publish the same payloads with `mosquitto_pub -l`; print both rates.")

        @Option(help: "Number of events.")
        var events = 100_000

        @Option(name: .long, help: "MQTT protocol version of smartreader: 5 or 3.1.1 (mosquitto_pub uses 3.1.1).")
        var mqttVersion: MQTTVersionArgument = .v5

        @Flag(name: .long, help: "Put the durable spool (SQLite WAL, synchronous FULL) in the path, as the daemon has it.")
        var spool = false

        @Option(
            name: .long, help: "Use the mosquitto already listening on localhost:PORT (its certificate from --pki) instead of starting one."
        )
        var brokerPort: Int?

        @Option(name: .long, help: "The development PKI of the broker given by --broker-port.")
        var pki: String?

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard (brokerPort == nil) == (pki == nil) else { throw ValidationError("give --broker-port and --pki together") }
        }

        func run() async throws {
            let logger = logging.makeLogger()
            let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("smartreader-bench-\(getpid())")
            defer { try? FileManager.default.removeItem(atPath: work) }
            let benchmark = ReplayBenchmark(events: events, workDirectory: work, protocolVersion: mqttVersion.version, spool: spool)
            let group = MultiThreadedEventLoopGroup.singleton
            let result =
                if let brokerPort, let pki {
                    try await benchmark.run(
                        pki: DevelopmentPKI(opening: pki), brokerPort: brokerPort, eventLoopGroup: group, logger: logger
                    ) {
                        print($0)
                    }
                } else {
                    try await benchmark.run(eventLoopGroup: group, logger: logger) { print($0) }
                }
            print(result.table)
        }
    }
}

import ArgumentParser
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

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let logger = logging.makeLogger()
            let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("smartreader-bench-\(getpid())")
            defer { try? FileManager.default.removeItem(atPath: work) }
            let result = try await ReplayBenchmark(events: events, workDirectory: work, protocolVersion: mqttVersion.version, spool: spool)
                .run(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger) { print($0) }
            print(result.table)
        }
    }
}

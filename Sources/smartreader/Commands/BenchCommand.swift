import ArgumentParser
import DevelopmentTools
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
            commandName: "replay",
            abstract: """
                Replay N events at QoS 1 over mutual TLS, then publish the same payloads with `mosquitto_pub -l`, alternating \
                for some rounds; print both rates and CPU per event.
                """,
            discussion: """
                Without --broker-port, runs against a mosquitto of its own, once as mosquitto ships it and once with \
                `set_tcp_nodelay true` (choose with --broker-setting). Medians of the rounds; build with -c release. \
                Ctrl-C or SIGTERM stops it, its brokers and mosquitto_pub with it, and removes its files (exit 130, 143).
                """)

        @Option(help: "Number of events.")
        var events = 100_000

        @Option(name: .long, help: "MQTT protocol version of smartreader: 5 or 3.1.1 (mosquitto_pub uses 3.1.1).")
        var mqttVersion: MQTTVersionArgument = .v5

        @Option(help: "Rounds, each smartreader then mosquitto_pub; the table gives medians.")
        var rounds = 3

        @Flag(name: .long, help: "Put the durable spool (SQLite WAL, synchronous FULL) in the path, as the daemon has it.")
        var spool = false

        @Option(name: .long, help: "The broker's configuration when the benchmark starts its own: default, nodelay or both.")
        var brokerSetting: BrokerSetting = .both

        enum BrokerSetting: String, ExpressibleByArgument, CaseIterable {
            case `default`, nodelay, both
        }

        @Option(
            name: .long, help: "Use the mosquitto already listening on localhost:PORT (its certificate from --pki) instead of starting one."
        )
        var brokerPort: Int?

        @Option(name: .long, help: "The development PKI of the broker given by --broker-port.")
        var pki: String?

        @OptionGroup var logging: LoggingOptions<NoticeAndWorse>

        func validate() throws {
            guard (brokerPort == nil) == (pki == nil) else { throw ValidationError("give --broker-port and --pki together") }
            guard events > 0, rounds > 0 else { throw ValidationError("--events and --rounds must be at least 1") }
        }

        func run() async throws {
            let logger = logging.makeLogger()
            let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("smartreader-bench-\(getpid())")
            let benchmark = ReplayBenchmark(
                events: events, rounds: rounds, workDirectory: work, protocolVersion: mqttVersion.version, spool: spool)
            let group = MultiThreadedEventLoopGroup.singleton
            let (brokerPort, pki, brokerSetting) = (brokerPort, pki, brokerSetting)
            try await StoppableRun.run { output in
                // Inside the work: a run stopped by a signal ends by that signal once the work is done.
                defer { try? FileManager.default.removeItem(atPath: work) }
                if let brokerPort, let pki {
                    let result = try await benchmark.run(
                        pki: DevelopmentPKI(opening: pki), brokerPort: brokerPort, eventLoopGroup: group, logger: logger,
                        progress: output.line)
                    output.line(result.table)
                    return
                }
                let settings: [Bool] = brokerSetting == .both ? [false, true] : [brokerSetting == .nodelay]
                var tables: [String] = []
                for tcpNoDelay in settings {
                    var setting = benchmark
                    setting.workDirectory = (work as NSString).appendingPathComponent(tcpNoDelay ? "nodelay" : "default")
                    let result = try await setting.run(tcpNoDelay: tcpNoDelay, eventLoopGroup: group, logger: logger, progress: output.line)
                    tables.append(result.table)
                }
                output.line(tables.joined(separator: "\n\n"))
            }
        }
    }
}

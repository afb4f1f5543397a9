import ArgumentParser
import DevelopmentTools
import Foundation
import Gateway
import NIOPosix
import SpringCore
import TagReaders

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch an emulated SpringPark publish tag events to a local mosquitto over mutual TLS.",
        discussion: """
            Makes a development PKI in a temporary directory, starts mosquitto on a free loopback port with it, \
            provisions SpringPark DA1275B0, replays a sample trace, and prints each message as a Watch client \
            receives it. Needs mosquitto (sudo apt-get install -y mosquitto mosquitto-clients). Ctrl-C (or SIGTERM, \
            or its output closed) stops it early: the device says offline, the broker stops and the temporary files \
            go; it then exits 130 (143; 141).
            """)

    @Option(name: .long, help: "Trace to replay instead of the built-in sample.")
    var trace: String?

    @OptionGroup var speed: ReplaySpeedOptions

    @Flag(name: .long, help: "Keep the temporary directory (PKI, broker configuration, device state) for a closer look.")
    var keep = false

    @OptionGroup var logging: LoggingOptions<NoticeAndWorse>

    func run() async throws {
        let logger = logging.makeLogger()
        let tracePath = try trace ?? (DataFiles.directory("Traces") as NSString).appendingPathComponent("springpark-sample.jsonl")
        let loaded = try Trace.load(contentsOf: tracePath)
        let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
        let work = (NSTemporaryDirectory() as NSString).appendingPathComponent("smartreader-demo-\(getpid())")
        let demo = Demo(trace: loaded, profile: profile, speed: speed.effectiveSpeed, workDirectory: work, keepFiles: keep)
        try await StoppableRun.run { output in
            try await demo.run(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger, print: output.line)
        }
    }
}

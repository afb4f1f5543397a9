import ArgumentParser
import Gateway
import NIOPosix
import TagReaders

struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a trace through a device, wait until the broker acknowledged every event, disconnect cleanly.",
        discussion: """
            The trace is JSON Lines, one tag event a line: {"t":1.25,"TagId":"047DAE02C84080","Move":"Insert",...} \
            (see docs/readers.md, "Traces"). Exits 0 once every event is acknowledged; non-zero with a message on any failure.
            """)

    @Argument(help: "The trace file (JSON Lines).")
    var trace: String

    @OptionGroup var device: DeviceOptions
    @OptionGroup var speed: ReplaySpeedOptions
    @OptionGroup var logging: LoggingOptions<NoticeAndWorse>

    func run() async throws {
        let logger = logging.makeLogger()
        let loaded = try Trace.load(contentsOf: trace)
        let summary = try await ReplayJob.run(
            trace: loaded, speed: speed.effectiveSpeed, state: device.connection.state,
            options: try device.runOptions(retryUntilConnected: false), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: logger)
        print("replayed \(summary.events) events in \(summary.elapsed), all acknowledged")
    }
}

import ArgumentParser
import Foundation
import Gateway
import NIOPosix
import SpringCore
import TagReaders

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the device until SIGTERM or SIGINT, then publish STATUS offline and disconnect.",
        discussion: """
            Connection losses are retried with exponential backoff and jitter, up to the reconnect interval of register 0289. \
            The device takes configuration pushes from `smartreader config push` (its control socket STATE_DIR/control.sock), \
            from files dropped into STATE_DIR/inbox/, from SIGHUP (reload config.json), and from MQTT {prefix}/{id}/cfg/set \
            when the configuration's "emulator" section enables "remote-config".
            """)

    @OptionGroup var device: DeviceOptions

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where tags come from (default: the device profile's reader). `smartreader readers` lists what is plugged in.",
            discussion: ReaderURI.acceptedForms))
    var reader: String?

    @Option(name: .long, help: "Feed the device from this trace instead of a live reader (the same as --reader trace:FILE).")
    var trace: String?

    @OptionGroup var speed: ReplaySpeedOptions

    @Option(
        name: .long,
        help: "After a reboot with a pushed configuration, seconds to reach the broker before rolling back to the last known good one.")
    var rollbackAfter: Int = 60

    @OptionGroup var logging: LoggingOptions<InfoAndWorse>

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Run this program for each valid command on rdr/cmd: the command as READER COMMAND JSON on its standard input, "
                + "the serial number as its argument; killed after --command-hook-timeout seconds. "
                + "Drives real LEDs, a buzzer or a gate's relay.",
            valueName: "path"))
    var commandHook: String?

    @Option(name: .long, help: "Seconds a command hook may run before it is killed.")
    var commandHookTimeout: Int = 10

    @OptionGroup var metrics: MetricsOptions

    func validate() throws {
        if let commandHook, !FileManager.default.isExecutableFile(atPath: commandHook) {
            throw ValidationError("--command-hook \(commandHook) is not an executable file: give the path of a program (chmod +x)")
        }
        guard (1...3600).contains(commandHookTimeout) else {
            throw ValidationError("--command-hook-timeout takes 1 to 3600 seconds")
        }
        guard (1...86_400).contains(rollbackAfter) else {
            throw ValidationError("--rollback-after takes 1 to 86400 seconds (a day): a longer trial is no protection")
        }
        if reader != nil && trace != nil { throw ValidationError("give --reader or --trace, not both") }
    }

    func run() async throws {
        let logger = logging.makeLogger()
        logger.info("\(BuildVersion.current.logLine)")
        let state = device.connection.state
        let source: TagSource
        if let trace {
            source = TraceReplaySource(trace: try Trace.load(contentsOf: trace), speed: speed.effectiveSpeed)
        } else {
            let text =
                try reader
                ?? DeviceProfile.load(name: state.loadFactory().profile, directory: DataFiles.directory("DeviceProfiles")).defaultReader
            source = try ReaderURI(parsing: text).makeSource(logger: logger)
            logger.info("reader \(text)")
        }
        var options = try device.runOptions(retryUntilConnected: true)
        let endpoint = try await metrics.start(logger: logger)
        options.reportsSpoolMetrics = endpoint != nil
        options.commandHook = commandHook.map {
            CommandHook(executable: $0, timeout: .seconds(commandHookTimeout), logger: logger)
        }
        let service = DeviceService(
            state: state, options: options, rollbackAfter: .seconds(rollbackAfter), source: source,
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
        try await DeviceService.runUntilSignalled(service)
        await endpoint?.stop()
    }
}

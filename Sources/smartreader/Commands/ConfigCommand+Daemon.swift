import ArgumentParser
import Gateway
import NIOPosix
import SpringCore

// The subcommands for the running daemon, over its control socket (`push --offline`: for its next start).
extension ConfigCommand {
    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Push a CONFIG-DATA file to the running device, as SpringCoreConfig does, and wait for the outcome.",
            discussion: """
                By default the factory defaults are restored and the file applied over them, then the device reboots: STATUS \
                offline, a new connection with the new settings, META. Exits 0 once the device is connected with the file; \
                1 if the file is rejected (nothing changes) or the device rolled back because the broker was unreachable.
                """)

        @Argument(help: "The CONFIG-DATA JSON file.")
        var file: String

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Flag(name: .long, help: "Merge the file into the current configuration instead of restoring the factory defaults first.")
        var noLoadDefaults = false

        @Flag(name: .long, help: "Store the file without rebooting; it takes effect at the next reboot or reload.")
        var noReset = false

        @Flag(name: .long, help: "No daemon is running: judge the file and store it for the next start.")
        var offline = false

        @OptionGroup var answer: AnswerTimeout

        @Flag(name: .long, help: "With --offline: judge as a daemon started with --insecure would (plain MQTT allowed).")
        var insecure = false

        func run() async throws {
            // The daemon refuses a file over the size limit too; saying so here spares sending it.
            let content = try ConfigData.read(file, followingSymbolicLinks: true)
            let state = stateDirectory.state
            let outcome: ConfigurationOutcome
            if offline {
                let socket = ControlSocket.path(in: state)
                if await ControlSocket.isAnswering(socketPath: socket, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) {
                    throw ValidationError("a daemon is running for \(state.path) (\(socket) answers); push to it without --offline")
                }
                outcome = ConfigurationStore(state: state, options: DeviceRunOptions(insecure: insecure)).storeOffline(
                    ConfigurationPush(content: content, source: file, loadDefaults: !noLoadDefaults, reset: false),
                    logger: makeLogger(level: .warning))
            } else {
                let request = ControlRequest.push(content: content, source: file, loadDefaults: !noLoadDefaults, reset: !noReset)
                outcome = try await ControlSocket.request(
                    request, socketPath: ControlSocket.path(in: state), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                    timeout: answer.timeout)
            }
            print(outcome)
            if !outcome.succeeded { throw ExitCode.failure }
        }
    }

    struct Reload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: "Make the running device reload config.json from its state directory (what SIGHUP does), and wait.")

        @OptionGroup var stateDirectory: StateDirectoryOption

        @OptionGroup var answer: AnswerTimeout

        func run() async throws {
            let state = stateDirectory.state
            let outcome = try await ControlSocket.request(
                .reload, socketPath: ControlSocket.path(in: state), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                timeout: answer.timeout)
            print(outcome)
            if !outcome.succeeded { throw ExitCode.failure }
        }
    }
}

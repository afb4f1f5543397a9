import ArgumentParser
import Foundation
import Gateway
import NIOPosix
import SpringCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with CONFIG-DATA JSON files and a device's configuration, by readable names.",
        discussion: """
            `config push` hands a file to the running daemon, which judges it whole, keeps the old one as last known good, \
            reboots with it and rolls back if the broker cannot be reached. `config set` changes config.json; a running \
            daemon takes it with `config reload` (or SIGHUP). Dropping a file into STATE_DIR/inbox/ pushes it too.
            """,
        subcommands: [Validate.self, Show.self, Get.self, SetValue.self, Diff.self, Push.self, Reload.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a CONFIG-DATA file as a push would, without pushing it.",
            discussion: """
                The same judgement as `config push`: JSON syntax, addresses, format modifiers, sizes, every register the \
                emulator acts on (mode, templates, topic names, TLS options), a broker, and no plain MQTT without --insecure. \
                The file is applied over the factory defaults, as a push does; with --state-dir, those of that device, and \
                its certificate and key slots are checked too. Registers and sections the emulator does not act on are kept \
                and listed. Exits 1 with the first error.
                """)

        @Argument(help: "The CONFIG-DATA JSON file.")
        var file: String

        @Option(name: .long, help: "A device's state directory: judge exactly as `config push` to it would, slots included.")
        var stateDir: String?

        @Option(help: "Without --state-dir: the device profile whose factory defaults the file is applied over.")
        var profile = "springpark"

        @Flag(name: .long, help: "With --state-dir: merge into the device's current configuration, as `config push --no-load-defaults`.")
        var noLoadDefaults = false

        @Flag(name: .long, help: "Judge as a daemon started with --insecure would (plain MQTT allowed).")
        var insecure = false

        func run() async throws {
            let data = try ConfigData.load(contentsOf: file, followingSymbolicLinks: true)
            let judgement = ConfigurationJudgement(options: DeviceRunOptions(insecure: insecure))
            if let stateDir {
                let state = DeviceStateDirectory(path: stateDir)
                let merged = noLoadDefaults ? try state.loadCurrentFile().merging(data) : data
                _ = try judgement.judge(merged, source: file, state: state, logger: makeLogger(level: .warning))
                print("\(file): valid; a push to \(stateDir) would accept it (\(data.registers.count) registers)")
            } else {
                guard !noLoadDefaults else {
                    throw ValidationError("--no-load-defaults merges into a device's configuration: give its --state-dir")
                }
                let defaults = try DeviceProfile.load(name: profile, directory: DataFiles.directory("DeviceProfiles")).defaults
                _ = try judgement.judgeRegisters(defaults.merging(data), source: file)
                print("\(file): valid over the factory defaults of \(profile) (\(data.registers.count) registers)")
                print("  not checked without --state-dir: \(ConfigurationJudgement.needsStateDirectory)")
            }
            let registers = data.notEmulatedRegisters.map(\.description)
            if !registers.isEmpty { print("  kept, not emulated: registers \(registers.joined(separator: ", "))") }
            if !data.notEmulatedSections.isEmpty {
                print("  kept, not emulated: sections \(data.notEmulatedSections.joined(separator: ", "))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The device's effective settings: in words, then every named setting.")

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

        @Flag(help: "One JSON object of named settings, for scripts.")
        var json = false

        func run() async throws {
            let data = try DeviceStateDirectory(path: stateDir).loadConfiguration()
            if json {
                var object = CompactJSONObject()
                for setting in NamedSetting.all { object.add(setting.name, setting.value(in: data)) }
                print(object.text)
                return
            }
            for line in ConfigurationSummary.lines(for: data) { printEscaped(line) }
            print("")
            let width = NamedSetting.all.map(\.name.count).max() ?? 0
            for setting in NamedSetting.all {
                printEscaped("\(setting.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(setting.value(in: data))")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one named setting (see `config show` for the names).")

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

        @Argument(help: "The setting, e.g. mqtt.keep-alive.")
        var name: String

        func run() async throws {
            let setting = try NamedSetting.named(name)
            printEscaped(setting.value(in: try DeviceStateDirectory(path: stateDir).loadConfiguration()))
        }
    }

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change one named setting in the device's config.json (written atomically, mode 0600).",
            discussion: """
                The result is judged as a push would be (see `config validate`) before anything is written: a value the \
                daemon would refuse is refused here. The MQTT password is never shown.
                """)

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

        @Flag(name: .long, help: "Judge as a daemon started with --insecure would (plain MQTT, unverified broker allowed).")
        var insecure = false

        @Argument(help: "The setting, e.g. mqtt.keep-alive.")
        var name: String

        @Argument(help: "The new value, e.g. 30.")
        var value: String

        func run() async throws {
            let setting = try NamedSetting.named(name)
            let state = DeviceStateDirectory(path: stateDir)
            // Fields of a register not yet in config.json start from the effective (factory) value.
            let effective = try state.loadConfiguration()
            var current = try state.loadCurrentFile()
            if let register = setting.register, current[register] == nil, let inherited = effective.registers[register] {
                current.registers[register] = inherited
            }
            let before = setting.value(in: effective)
            try setting.set(value, in: &current)
            do {
                _ = try ConfigurationJudgement(options: DeviceRunOptions(insecure: insecure)).judge(
                    current, source: state.configurationPath, state: state, logger: makeLogger(level: .warning))
            } catch {
                throw ValidationError("\(name) not changed, config.json is as it was: \(error)")
            }
            try state.saveConfiguration(current)
            let stored =
                setting.register.map { "register \($0) is now \(setting.registerValue(in: current))" }
                ?? "in the \"\(DeviceConfiguration.emulatorSection)\" section"
            print("\(name): \(before) -> \(setting.value(in: current)) (\(stored))")
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what differs between two CONFIG-DATA files, by setting name where possible.",
            discussion: "Exits 0 when they configure the same thing, 1 when they differ, like diff(1).")

        @Argument(help: "The first CONFIG-DATA file.")
        var first: String

        @Argument(help: "The second CONFIG-DATA file.")
        var second: String

        func run() async throws {
            let lines = ConfigDifference.lines(
                from: try ConfigData.load(contentsOf: first, followingSymbolicLinks: true),
                to: try ConfigData.load(contentsOf: second, followingSymbolicLinks: true))
            for line in lines { printEscaped(line) }
            if !lines.isEmpty { throw ExitCode(1) }
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Push a CONFIG-DATA file to the running device, as SpringCoreConfig does, and wait for the outcome.",
            discussion: """
                By default the factory defaults are restored and the file applied over them, then the device reboots: STATUS \
                offline, a new connection with the new settings, META. Exits 0 once the device is connected with the file; \
                1 if the file is rejected (nothing changes) or the device rolled back because the broker was unreachable.
                """)

        @Argument(help: "The CONFIG-DATA JSON file.")
        var file: String

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

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
            let state = DeviceStateDirectory(path: stateDir)
            let outcome: ConfigurationOutcome
            if offline {
                let socket = ControlSocket.path(in: state)
                if await ControlSocket.isAnswering(socketPath: socket, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) {
                    throw ValidationError("a daemon is running for \(stateDir) (\(socket) answers); push to it without --offline")
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
            abstract: "Make the running device reload config.json from its state directory (what SIGHUP does), and wait.")

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

        @OptionGroup var answer: AnswerTimeout

        func run() async throws {
            let state = DeviceStateDirectory(path: stateDir)
            let outcome = try await ControlSocket.request(
                .reload, socketPath: ControlSocket.path(in: state), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
                timeout: answer.timeout)
            print(outcome)
            if !outcome.succeeded { throw ExitCode.failure }
        }
    }
}

/// How long `config push` and `config reload` wait for the daemon: a push reboots the device and
/// may wait out the rollback window, so the deadline is long, but there is one.
struct AnswerTimeout: ParsableArguments {
    @Option(
        name: .customLong("timeout"),
        help: "Seconds to wait for the daemon's answer: more than its --rollback-after (60 by default) and a reboot.")
    var seconds = Int(ControlSocket.pushTimeout.components.seconds)

    var timeout: Duration { .seconds(seconds) }

    func validate() throws {
        guard (1...86_400).contains(seconds) else { throw ValidationError("--timeout must be 1 to 86400 seconds") }
    }
}

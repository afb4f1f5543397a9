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
            abstract: "Check a CONFIG-DATA file completely: JSON syntax, addresses, format modifiers, value sizes.",
            discussion:
                "Registers and sections the emulator does not act on are kept and listed, never dropped. Exits 1 on the first error.")

        @Argument(help: "The CONFIG-DATA JSON file.")
        var file: String

        func run() async throws {
            let data = try ConfigData.load(contentsOf: file)
            print("\(file): valid CONFIG-DATA, \(data.registers.count) registers")
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
            for line in ConfigurationSummary.lines(for: data) { print(line) }
            print("")
            let width = NamedSetting.all.map(\.name.count).max() ?? 0
            for setting in NamedSetting.all {
                print("\(setting.name.padding(toLength: width, withPad: " ", startingAt: 0))  \(setting.value(in: data))")
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
            print(setting.value(in: try DeviceStateDirectory(path: stateDir).loadConfiguration()))
        }
    }

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change one named setting in the device's config.json (written atomically, mode 0600).")

        @Option(name: .long, help: "The device's state directory.")
        var stateDir: String

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
            if current[setting.register] == nil, let inherited = effective.registers[setting.register] {
                current.registers[setting.register] = inherited
            }
            let before = setting.value(in: effective)
            try setting.set(value, in: &current)
            try state.saveConfiguration(current)
            print(
                "\(name): \(before) -> \(setting.value(in: current)) (register \(setting.register) is now \(Hex.encode(current[setting.register] ?? [])))"
            )
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
            let lines = ConfigDifference.lines(from: try ConfigData.load(contentsOf: first), to: try ConfigData.load(contentsOf: second))
            for line in lines { print(line) }
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

        @Flag(name: .long, help: "With --offline: judge as a daemon started with --insecure would (plain MQTT allowed).")
        var insecure = false

        func run() async throws {
            guard let content = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file) cannot be read; check the path and its permissions")
            }
            let state = DeviceStateDirectory(path: stateDir)
            let outcome: ConfigurationOutcome
            if offline {
                let socket = ControlSocket.path(in: state)
                if await ControlSocket.isAnswering(socketPath: socket, eventLoopGroup: MultiThreadedEventLoopGroup.singleton) {
                    throw ValidationError("a daemon is running for \(stateDir) (\(socket) answers); push to it without --offline")
                }
                outcome = ConfigurationStore(state: state, options: DeviceRunOptions(insecure: insecure)).storeOffline(
                    ConfigurationPush(content: Array(content), source: file, loadDefaults: !noLoadDefaults, reset: false),
                    logger: makeLogger(level: .warning))
            } else {
                let request = ControlRequest.push(content: Array(content), source: file, loadDefaults: !noLoadDefaults, reset: !noReset)
                outcome = try await ControlSocket.request(
                    request, socketPath: ControlSocket.path(in: state), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
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

        func run() async throws {
            let state = DeviceStateDirectory(path: stateDir)
            let outcome = try await ControlSocket.request(
                .reload, socketPath: ControlSocket.path(in: state), eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
            print(outcome)
            if !outcome.succeeded { throw ExitCode.failure }
        }
    }
}

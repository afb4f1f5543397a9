import ArgumentParser
import Foundation
import Gateway
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
            commandName: "validate",
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

        @OptionGroup var stateDirectory: OptionalStateDirectoryOption

        @Option(help: "Without --state-dir: the device profile whose factory defaults the file is applied over.")
        var profile = "springpark"

        @Flag(name: .long, help: "With --state-dir: merge into the device's current configuration, as `config push --no-load-defaults`.")
        var noLoadDefaults = false

        @Flag(name: .long, help: "Judge as a daemon started with --insecure would (plain MQTT allowed).")
        var insecure = false

        func run() async throws {
            let data = try ConfigData.load(contentsOf: file, followingSymbolicLinks: true)
            let judgement = ConfigurationJudgement(options: DeviceRunOptions(insecure: insecure))
            if let state = stateDirectory.state {
                let merged = noLoadDefaults ? try state.loadCurrentFile().merging(data) : data
                _ = try judgement.judge(merged, source: file, state: state, logger: makeLogger(level: .warning))
                print("\(file): valid; a push to \(state.path) would accept it (\(data.registers.count) registers)")
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
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "The device's effective settings: in words, then every named setting.")

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Flag(help: "One JSON object of named settings, for scripts.")
        var json = false

        func run() async throws {
            let data = try stateDirectory.state.loadConfiguration()
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
        static let configuration = CommandConfiguration(
            commandName: "get", abstract: "Print one named setting (see `config show` for the names).")

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Argument(help: "The setting, e.g. mqtt.keep-alive.")
        var name: String

        func run() async throws {
            let setting = try NamedSetting.named(name)
            printEscaped(setting.value(in: try stateDirectory.state.loadConfiguration()))
        }
    }

    struct SetValue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Change one named setting in the device's config.json (written atomically, mode 0600).",
            discussion: """
                The result is judged as a push would be (see `config validate`) before anything is written: a value the \
                daemon would refuse is refused here. The MQTT password is never shown.
                """)

        @OptionGroup var stateDirectory: StateDirectoryOption

        @Flag(name: .long, help: "Judge as a daemon started with --insecure would (plain MQTT, unverified broker allowed).")
        var insecure = false

        @Argument(help: "The setting, e.g. mqtt.keep-alive.")
        var name: String

        @Argument(help: "The new value, e.g. 30.")
        var value: String

        func run() async throws {
            let setting = try NamedSetting.named(name)
            let state = stateDirectory.state
            // Fields of a register not yet in config.json start from the effective (factory) value.
            let effective = try state.loadConfiguration()
            let before = setting.value(in: effective)
            var current = ConfigData()
            try state.editConfiguration { file in
                if let register = setting.register, file[register] == nil, let inherited = effective.registers[register] {
                    file.registers[register] = inherited
                }
                try setting.set(value, in: &file)
                do {
                    _ = try ConfigurationJudgement(options: DeviceRunOptions(insecure: insecure)).judge(
                        file, source: state.configurationPath, state: state, logger: makeLogger(level: .warning))
                } catch {
                    throw ValidationError("\(name) not changed, config.json is as it was: \(error)")
                }
                current = file
            }
            let stored =
                setting.register.map { "register \($0) is now \(setting.registerValue(in: current))" }
                ?? "in the \"\(DeviceConfiguration.emulatorSection)\" section"
            print("\(name): \(before) -> \(setting.value(in: current)) (\(stored))")
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff",
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
}

import ArgumentParser
import Foundation
import Gateway
import SpringCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with CONFIG-DATA JSON files and a device's configuration, by readable names.",
        discussion: "`config set` changes the device's config.json; a running device reads it when it starts.",
        subcommands: [Validate.self, Show.self, Get.self, SetValue.self, Diff.self])

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
}

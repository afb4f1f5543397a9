import ArgumentParser
import Foundation
import SpringCore

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Work with CONFIG-DATA JSON files, the SpringCore configuration format.",
        subcommands: [Validate.self])

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
}

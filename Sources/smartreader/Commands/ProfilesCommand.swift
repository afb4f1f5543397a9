import ArgumentParser
import Gateway
import SpringCore

struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "List the device profiles (DeviceProfiles/*.json) that `pki provision --profile` accepts.")

    func run() async throws {
        let directory = try DataFiles.directory("DeviceProfiles")
        let profiles = try DeviceProfile.loadAll(directory: directory)
        let width = profiles.map(\.name.count).max() ?? 0
        for profile in profiles {
            print(profile.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + profile.summary)
            print(String(repeating: " ", count: width + 2) + "reader \(profile.defaultReader)")
        }
    }
}

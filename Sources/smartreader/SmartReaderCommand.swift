import ArgumentParser
import Foundation
import Gateway

@main
struct SmartReaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smartreader",
        abstract: "Emulates a SpringCard SpringCore network Smart Reader (SpringPark) publishing tag events over MQTT with mutual TLS.",
        discussion: """
            Start with `smartreader demo`: it builds a development PKI, starts a local mosquitto, provisions \
            a SpringPark and replays a sample trace while a Watch client prints what the broker delivers.
            """,
        version: BuildVersion.current.description,
        subcommands: [
            DemoCommand.self, ReplayCommand.self, RunCommand.self, PKICommand.self, ConfigCommand.self, ProfilesCommand.self,
            BenchCommand.self, ReadersCommand.self, RecordCommand.self, StatusCommand.self, EnrollCommand.self, DoctorCommand.self,
            InstallCommand.self, CreateCommand.self, SimulateCommand.self, SpoolCommand.self, ReportCommand.self,
        ])

    static func main() async {
        // The daemon listens for SIGHUP (reload) only once its service runs; until then the
        // default action would end it, and a reload sent right after a start (systemd's
        // ExecReload, an integrator's script) comes while the arguments are parsed. Other
        // commands keep the default: a closed terminal ends them.
        if CommandLine.arguments.dropFirst().first == RunCommand.configuration.commandName { signal(SIGHUP, SIG_IGN) }
        await main(nil)
    }
}

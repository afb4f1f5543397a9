import ArgumentParser
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
}

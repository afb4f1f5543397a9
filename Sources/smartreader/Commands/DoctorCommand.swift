import ArgumentParser
import Gateway
import NIOPosix

struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything mutual TLS to the broker needs, and say how to fix what fails.",
        discussion: """
            The device's side from its files (key, certificate dates, chain sent, CN = client ID, key file mode), then the \
            broker: reachable, TLS version, its chain against the device's CA (telling a missing intermediate from another \
            CA), its name, CONNACK, and under MQTT 5 that the ACL allows the device's own topic and refuses another's. \
            Exits 1 when anything failed. The probes use the client ID <CN>-doctor, so a running daemon is not disturbed.
            """)

    @OptionGroup var device: DeviceConnectionOptions

    @Flag(name: .long, help: "Print the checklist as JSON.")
    var json = false

    func run() async throws {
        let doctor = DeviceDoctor(
            state: device.state, brokerOverride: try device.brokerOverride(), protocolVersion: device.mqttVersion?.version)
        let report = await doctor.run(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        print(json ? report.json : report.text)
        if report.hasFailures { throw ExitCode.failure }
    }
}

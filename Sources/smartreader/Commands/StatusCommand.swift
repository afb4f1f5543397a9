import ArgumentParser
import Foundation
import Gateway
import NIOPosix
import Spool

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Whether the device's daemon runs and is connected, since when, its last event, its spool and its certificate.",
        discussion: """
            A running daemon answers on STATE_DIR/control.sock: connected or not and since when, the broker, why the last \
            connection ended, the last tag event, the spool and when the device certificate expires. Without a daemon \
            the spool file is read directly, read-only: status never creates or changes it.
            Events the broker refused (an MQTT 5 PUBACK failure code such as 0x87 not authorized: the ACL or the \
            device's identity is wrong) are held in the spool, at most the spool's event limit (the oldest go first, \
            counted); send them again with `smartreader spool retry` once fixed, or drop them with `smartreader spool \
            discard`. Under MQTT 3.1.1 a PUBACK carries no reason code: a broker that refuses drops events silently.
            Exit status, for scripts and health checks: 0 running and connected; 1 the daemon did not answer in time \
            (or another error); 2 running but not connected; 3 not running; 4 running and connected, but events the \
            broker refused are held.
            """)

    @OptionGroup var stateDirectory: StateDirectoryOption

    @Flag(name: .long, help: "Print the running daemon's report as one JSON object (nothing when it is not running).")
    var json = false

    func run() async throws {
        let state = stateDirectory.state
        let factory = try state.loadFactory()
        let socket = ControlSocket.path(in: state)
        let group = MultiThreadedEventLoopGroup.singleton
        let health: DeviceHealth?
        do {
            health = try await ControlSocket.health(socketPath: socket, eventLoopGroup: group)
        } catch ControlProtocolError.noDaemon {
            health = nil
        }
        if json {
            if let health { print(health.json) }
        } else {
            print("device   \(factory.serialNumber) (\(factory.profile))")
            if let health {
                print("daemon   running (\(socket) answers)")
                health.lines().forEach(printEscaped)
            } else {
                print("daemon   not running")
                if let spool = try SpoolStore.openForReading(path: state.spoolPath) {
                    print("spool    \(try spool.summary().summary)")
                } else {
                    print("spool    empty (no \(state.spoolPath) yet)")
                }
            }
        }
        guard let health else { throw ExitCode(3) }
        if health.exitCode != 0 { throw ExitCode(health.exitCode) }
    }
}

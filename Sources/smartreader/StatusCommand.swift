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
            the spool file is read directly (SQLite WAL allows it while another process writes).
            Exit status, for scripts and health checks: 0 running and connected; 2 running but not connected; 3 not running.
            """)

    @Option(name: .long, help: "The device's state directory.")
    var stateDir: String

    @Flag(name: .long, help: "Print the running daemon's report as one JSON object (nothing when it is not running).")
    var json = false

    func run() async throws {
        let state = DeviceStateDirectory(path: stateDir)
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
                health.lines().forEach { print($0) }
            } else {
                print("daemon   not running")
                if FileManager.default.fileExists(atPath: state.spoolPath) {
                    print("spool    \(try SpoolStore(path: state.spoolPath).summary().summary)")
                } else {
                    print("spool    empty (no \(state.spoolPath) yet)")
                }
            }
        }
        guard let health else { throw ExitCode(3) }
        if !health.connected { throw ExitCode(2) }
    }
}

import ArgumentParser
import Foundation
import Gateway
import NIOPosix
import Spool

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Whether the device's daemon runs, and what waits in its spool (events not yet acknowledged by the broker).",
        discussion: "Reads the state directory directly; the spool can be read while the daemon writes it (SQLite WAL).")

    @Option(name: .long, help: "The device's state directory.")
    var stateDir: String

    func run() async throws {
        let state = DeviceStateDirectory(path: stateDir)
        let factory = try state.loadFactory()
        let socket = ControlSocket.path(in: state)
        let running = await ControlSocket.isAnswering(socketPath: socket, eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
        print("device   \(factory.serialNumber) (\(factory.profile))")
        print("daemon   \(running ? "running (\(socket) answers)" : "not running")")
        guard FileManager.default.fileExists(atPath: state.spoolPath) else {
            print("spool    empty (no \(state.spoolPath) yet)")
            return
        }
        print("spool    \(try SpoolStore(path: state.spoolPath).summary().summary)")
    }
}

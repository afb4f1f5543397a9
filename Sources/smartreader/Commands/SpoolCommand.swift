import ArgumentParser
import Foundation
import Gateway
import NIOPosix
import Spool

struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool",
        abstract: "Send again, or discard, the events the broker refused.",
        discussion: """
            An event the broker answers with an MQTT 5 failure code (e.g. 0x87 not authorized: its ACL does not allow the \
            device's topics, or the Device ID 028F differs from the certificate's CN) is not delivered: it is held in the \
            spool, at most the spool's event limit (over it the oldest go, counted), across restarts, and not sent again \
            by itself. `smartreader status` shows them and exits 4. Under MQTT 3.1.1 a PUBACK carries no reason code: a \
            broker that refuses drops events silently and nothing can be held.
            A running daemon acts at once (over STATE_DIR/control.sock); with none, the spool file is changed for the next start.
            """,
        subcommands: [Retry.self, Discard.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Send the refused events again, oldest first, once the broker's ACL or the device's identity is fixed.")

        @OptionGroup var stateDirectory: StateDirectoryOption

        func run() async throws {
            let count = try await act(on: stateDirectory.state, .retryRefused) { try $0.retryRefused() }
            print("\(count) refused events put back in line to be sent")
        }
    }

    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "discard",
            abstract: "Drop the refused events; they are counted as discarded (status, STATUS, metrics).")

        @OptionGroup var stateDirectory: StateDirectoryOption

        func run() async throws {
            let count = try await act(on: stateDirectory.state, .discardRefused) { try $0.discardRefused() }
            print("\(count) refused events discarded")
        }
    }
}

/// Asks the running daemon, which holds the spool in memory too; with none, changes the file.
private func act(on state: DeviceStateDirectory, _ request: ControlRequest, offline: (SpoolStore) throws -> Int) async throws -> Int {
    let socket = ControlSocket.path(in: state)
    let group = MultiThreadedEventLoopGroup.singleton
    if await ControlSocket.isAnswering(socketPath: socket, eventLoopGroup: group) {
        return try await ControlSocket.spoolAction(request, socketPath: socket, eventLoopGroup: group)
    }
    // No spool file, nothing held: creating one here would be a change nobody asked for.
    guard FileManager.default.fileExists(atPath: state.spoolPath) else { return 0 }
    // A replay, or a daemon starting now, would load the spool while it changes: hold them off.
    let lock = try DeviceLock(state: state)
    defer { withExtendedLifetime(lock) {} }
    return try offline(SpoolStore(path: state.spoolPath))
}

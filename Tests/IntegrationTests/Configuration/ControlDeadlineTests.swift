import Foundation
import Gateway
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// A Unix socket that takes connections and never answers: a daemon stuck, or not a daemon at all.
private func silentServer(at path: String) async throws -> any Channel {
    try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
}

// The limit catches a hang; a test may first wait for a fixture slot while the rest of the suite runs.
@Suite("client commands give up on a daemon that never answers", .timeLimit(.minutes(3)))
struct ControlDeadlineTests {
    @Test("a request to a silent socket ends at its deadline with a message naming the socket")
    func requestDeadline() async throws {
        let path = temporaryDirectory("control") + "/control.sock"
        let server = try await silentServer(at: path)
        defer { server.close(promise: nil) }
        let started = ContinuousClock.now
        do {
            _ = try await ControlSocket.request(
                .reload, socketPath: path, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, timeout: .seconds(1))
            Issue.record("a silent daemon answered")
        } catch let error as ControlProtocolError {
            #expect(error == .answerTimedOut(socket: path, request: "reload", seconds: 1))
            #expect("\(error)".contains(path) && "\(error)".contains("did not answer within 1 s"))
        }
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("`smartreader status` on a silent control socket exits within its deadline and says so")
    func statusDeadline() async throws {
        try await BrokerFixture.with { fixture in
            let state = try fixture.provision()
            let server = try await silentServer(at: ControlSocket.path(in: state))
            defer { server.close(promise: nil) }
            let started = ContinuousClock.now
            let status = try await runTool(binary, ["status", "--state-dir", state.path])
            #expect(ContinuousClock.now - started < .seconds(20), "the 5 s deadline, with room for a slow machine")
            #expect(status.status == 1, "\(status.output)")
            #expect(
                status.output.contains("did not answer within 5 s") && status.output.contains(ControlSocket.path(in: state)),
                "\(status.output)")
        }
    }
}

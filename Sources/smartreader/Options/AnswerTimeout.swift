import ArgumentParser
import Gateway

/// How long `config push` and `config reload` wait for the daemon: a push reboots the device and
/// may wait out the rollback window, so the deadline is long, but there is one.
struct AnswerTimeout: ParsableArguments {
    @Option(
        name: .customLong("timeout"),
        help: "Seconds to wait for the daemon's answer: more than its --rollback-after (60 by default) and a reboot.")
    var seconds = Int(ControlSocket.pushTimeout.components.seconds)

    var timeout: Duration { .seconds(seconds) }

    func validate() throws {
        guard (1...86_400).contains(seconds) else { throw ValidationError("--timeout must be 1 to 86400 seconds") }
    }
}

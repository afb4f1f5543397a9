import DeviceIdentity
import Foundation
import TestSupport
import Testing

@testable import DevelopmentTools

/// A broker that does as mosquitto 2.0 does at start, only slower: it listens, and a second later
/// sets its SIGHUP handler (mosquitto: listen, a log line, the IPv6 listen, then rt_sigaction).
private let listensBeforeItsHandlers = #"""
    import signal, socket, sys, time
    port = int(next(l.split()[1] for l in open(sys.argv[2]) if l.startswith("listener ")))
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(16)
    time.sleep(1)
    signal.signal(signal.SIGHUP, lambda *_: None)
    while True:
        server.accept()[0].close()
    """#

@Test("start returns once the broker handles its signals, not as soon as it listens: a SIGHUP right after start reloads it")
func startWaitsForSignalHandlers() async throws {
    let directory = temporaryDirectory("mosquitto-signals")
    let fake = directory + "/listens-first"
    try ("#!/bin/sh\nexec python3 -c '\(listensBeforeItsHandlers)' \"$@\"\n").write(toFile: fake, atomically: true, encoding: .utf8)
    chmod(fake, 0o755)
    let pki = try DevelopmentPKI.create(at: directory + "/pki")
    let broker = try await LocalMosquitto.start(pki: pki, workDirectory: directory, executable: fake)
    await broker.signal(SIGHUP)
    try await Task.sleep(for: .milliseconds(300))
    #expect(LocalMosquitto.acceptsConnections(port: broker.port), "the SIGHUP ended the broker")
    await broker.stop()
}

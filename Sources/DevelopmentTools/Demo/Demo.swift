import DeviceIdentity
import Foundation
import Gateway
import Logging
import MQTT
import NIOCore
import SpringCore
import TagReaders

/// `smartreader demo`: a PKI, a mosquitto with it, one provisioned SpringPark replaying a trace,
/// and a Watch client printing what the broker delivers. Everything lives in one temporary
/// directory, removed at the end unless asked to keep it.
public struct Demo: Sendable {
    public var trace: Trace
    /// The SpringPark's profile, loaded before anything is made: a missing one stops the demo at once.
    public var profile: DeviceProfile
    public var speed: Double?
    public var serialNumber = "DA1275B0"
    public var workDirectory: String
    public var keepFiles: Bool

    public init(trace: Trace, profile: DeviceProfile, speed: Double?, workDirectory: String, keepFiles: Bool) {
        self.trace = trace
        self.profile = profile
        self.speed = speed
        self.workDirectory = workDirectory
        self.keepFiles = keepFiles
    }

    public func run(eventLoopGroup: any EventLoopGroup, logger: Logger, print: @escaping @Sendable (String) -> Void) async throws {
        guard LocalMosquitto.executable() != nil else { throw LocalMosquittoError.notInstalled }
        defer {
            // However it ends (Ctrl-C included), the files go, or the user is told where they stay.
            if keepFiles { print("kept       \(workDirectory)") } else { try? FileManager.default.removeItem(atPath: workDirectory) }
        }
        let pkiDirectory = (workDirectory as NSString).appendingPathComponent("pki")
        let pki = try DevelopmentPKI.create(at: pkiDirectory)
        print("PKI        root CA and Cloud/Client/Watch/Control CAs in \(pkiDirectory)")
        let watchPrefix = (pkiDirectory as NSString).appendingPathComponent("watch-demo")
        try pki.issue(role: .watch, commonName: "watch-demo").write(prefix: watchPrefix)

        let broker = try await LocalMosquitto.start(pki: pki, workDirectory: workDirectory)
        do {
            try await runAgainst(
                broker: broker, pki: pki, watchPrefix: watchPrefix, eventLoopGroup: eventLoopGroup, logger: logger, print: print)
        } catch {
            await broker.stop()
            throw error
        }
        await broker.stop()
        if !keepFiles { print("done       broker stopped, temporary files removed") }
    }

    private func runAgainst(
        broker: LocalMosquitto, pki: DevelopmentPKI, watchPrefix: String, eventLoopGroup: any EventLoopGroup,
        logger: Logger, print: @escaping @Sendable (String) -> Void
    ) async throws {
        let address = BrokerAddress(host: "localhost", port: broker.port)
        print("broker     mosquitto on \(address), mutual TLS 1.2+, ACL per role (\(broker.configurationPath))")
        let state = DeviceStateDirectory(path: (workDirectory as NSString).appendingPathComponent("device-\(serialNumber)"))
        try DeviceProvisioning(pki: pki, profile: profile).provision(state: state, serialNumber: serialNumber, broker: address)
        print("device     SpringPark \(serialNumber) provisioned in \(state.path) (certificate CN \(serialNumber))")

        let observer = try ObserverClient(
            broker: address, caPath: pki.rootCertificatePath, certificatePath: watchPrefix + ".crt",
            keyPath: watchPrefix + ".key", clientID: "watch-demo", eventLoopGroup: eventLoopGroup, logger: logger)
        try await observer.start(filter: "springcard/springcore/#")
        print("watching   springcard/springcore/# as Watch client \"watch-demo\"\n")
        let printer = Task {
            for await message in observer.client.inboundMessages {
                print("  " + ObservedMessageLine.render(topic: message.topic, payload: message.payload))
            }
        }
        let summary: ReplaySummary
        do {
            summary = try await ReplayJob.run(
                trace: trace, speed: speed, state: state, options: DeviceRunOptions(), eventLoopGroup: eventLoopGroup, logger: logger)
            // Give the broker a moment to deliver the last STATUS to the observer before it goes.
            try await Task.sleep(for: .milliseconds(300))
        } catch {
            // Stopped (Ctrl-C) or failed: the observer leaves before the broker stops, rather than warn that it went.
            await observer.client.disconnect()
            throw error
        }
        await observer.client.disconnect()
        await printer.value
        print("\nreplayed   \(summary.events) trace events; every report they made acknowledged by the broker (QoS 1)")
    }
}

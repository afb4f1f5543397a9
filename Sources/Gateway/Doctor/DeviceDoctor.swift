import DeviceIdentity
import Foundation
import Logging
import MQTT
import NIOCore
import NIOSSL
import SpringCore
import X509

/// `smartreader doctor`: every reason mutual TLS to the broker could fail, checked in the order
/// a connection meets them, each with the fix in plain words. Nothing is changed; the broker
/// sees one TLS handshake, one MQTT session, and two probe messages on `…/doctor`.
public struct DeviceDoctor: Sendable {
    public var state: DeviceStateDirectory
    public var brokerOverride: BrokerAddress?
    /// Pinned by the command line; nil leaves it to the configuration's `emulator.mqtt-version`.
    public var protocolVersion: MQTTProtocolVersion?

    public init(state: DeviceStateDirectory, brokerOverride: BrokerAddress? = nil, protocolVersion: MQTTProtocolVersion? = nil) {
        self.state = state
        self.brokerOverride = brokerOverride
        self.protocolVersion = protocolVersion
    }

    /// Whether others could change what the device trusts comes first: the device refuses to
    /// start on it. The connection checks still run, so one pass shows every fault.
    public func run(eventLoopGroup: any EventLoopGroup) async -> DoctorReport {
        var report = DoctorReport(findings: StateDirectoryTrust(state: state).findings)
        report.findings += await connectionChecks(eventLoopGroup: eventLoopGroup).findings
        return report
    }

    private func connectionChecks(eventLoopGroup: any EventLoopGroup) async -> DoctorReport {
        var report = DoctorReport()
        let settings: DeviceSettings
        do {
            settings = try DeviceSettings(state: state, brokerOverride: brokerOverride)
        } catch {
            report.add(DoctorFinding("configuration", .failed, error.description))
            return report
        }
        let tls = settings.tls
        guard tls.enabled && tls.clientAuthentication else {
            report.add(
                DoctorFinding("mutual TLS", .failed, "register 0288 turns TLS or the client certificate off", fix: "set 0288 to 370E8D4D8F")
            )
            return report
        }
        let files = state.identityFiles(tls)
        let sentAuthority = tls.sendClientCA ? files.clientAuthority : nil
        let local = ClientIdentityChecks(
            certificatePath: files.certificate, keyPath: files.key, sentAuthorityPath: sentAuthority,
            configuredClientID: settings.configuredClientID
        ).run()
        local.forEach { report.add($0) }

        let identity: DeviceTLSIdentity
        do {
            // The doctor reports a readable key above and goes on to the broker.
            identity = try DeviceTLSIdentity(
                settings: settings, state: state, options: DeviceRunOptions(allowReadableKey: true),
                logger: Logger(label: "doctor") { _ in SwiftLogNoOpLogHandler() })
        } catch {
            report.add(DoctorFinding("TLS set-up", .failed, error.description, fix: "fix the failures above first"))
            return report
        }
        guard let configuration = identity.configuration else { return report }
        let host = settings.broker.host
        let port = settings.brokerPort
        let probe: BrokerTLSProbe.Result
        do {
            probe = try await BrokerTLSProbe.run(host: host, port: port, configuration: configuration, group: eventLoopGroup)
        } catch {
            let fix =
                if case .unreachable = error {
                    "check the broker address and port (registers 0286, 0285, or --broker) and the firewall"
                } else {
                    "the broker refused the handshake: it may not trust the device's CA (its cafile) or want another TLS version"
                }
            // NIOSSL's own text (reason codes, the build's source paths) stays out of the report.
            let detail =
                if case .handshake(let underlying) = error {
                    "the TLS handshake failed: " + TLSHandshakeCheck(underlying: underlying).explanation(host: host)
                } else {
                    "\(error)"
                }
            report.add(DoctorFinding("broker reachable, TLS", .failed, "\(host):\(port): \(detail)", fix: fix))
            return report
        }
        let cipher = await CipherSuiteProbe.run(
            host: host, port: port, certificate: files.certificate, key: files.key, chain: sentAuthority, trust: files.serverAuthority)
        report.add(
            DoctorFinding(
                "broker reachable, TLS", .passed,
                "\(host):\(port), \(probe.tlsVersion.map { "\($0)" } ?? "TLS"), "
                    + (cipher.map { "cipher \($0) (as openssl s_client negotiates it)" } ?? "cipher not known (no openssl to ask)")))
        let anchors = (try? CertificateFile(path: files.serverAuthority).chain) ?? []
        BrokerChainDiagnosis(sent: probe.chain, trusted: anchors, host: settings.broker.host).run().forEach { report.add($0) }
        guard !report.hasFailures else { return report }
        await checkSession(
            settings: settings, identity: identity, configuration: configuration, eventLoopGroup: eventLoopGroup, into: &report)
        return report
    }

    /// CONNACK, then, under MQTT 5, one publish the ACL must allow and one it must refuse.
    private func checkSession(
        settings: DeviceSettings, identity: DeviceTLSIdentity, configuration: TLSConfiguration, eventLoopGroup: any EventLoopGroup,
        into report: inout DoctorReport
    ) async {
        let client: MQTTClient
        let version = MQTTVersionChoice(pinned: protocolVersion, setting: settings.device.mqttVersion)
        do {
            client = try MQTTClient(
                configuration: MQTTClientConfiguration(
                    host: settings.broker.host, port: settings.brokerPort, tls: configuration, protocolVersion: version.firstVersion,
                    fallsBackToVersion311: version.fallsBack, clientIdentifier: identity.clientID + "-doctor", keepAlive: 30,
                    username: settings.login, password: settings.password,
                    connectTimeout: .seconds(10), responseTimeout: .seconds(10)),
                eventLoopGroup: eventLoopGroup, logger: Logger(label: "doctor") { _ in SwiftLogNoOpLogHandler() })
            _ = try await client.start()
        } catch {
            // Under TLS 1.3 the broker judges the device's certificate after the handshake the probe saw complete.
            let text = "\(error)"
            let connectionError = error as? MQTTConnectionError
            let fix =
                if connectionError?.tlsCheck == .ourCertificate {
                    "the broker does not accept the device's certificate: send the client CA (tls.send-client-ca on) or add the device's CA to the broker's cafile"
                } else if connectionError?.kind == "closedByBroker", version.firstVersion == .v5, !version.fallsBack {
                    "MQTT 5 is pinned: if the broker does not speak it, set emulator.mqtt-version to auto or 3.1.1 (or pass --mqtt-version 3.1.1); "
                        + "otherwise the broker's log says why (the certificate's CN mapped to no user, or this client ID refused)"
                } else {
                    "check the broker's log; it may not map the certificate's CN to a user, or refuse this client ID"
                }
            report.add(DoctorFinding("broker accepts the device (CONNACK)", .failed, text, fix: fix))
            return
        }
        report.add(DoctorFinding("broker accepts the device (CONNACK)", .passed, "MQTT \(await client.protocolVersion)"))
        if let fallback = await client.versionFallback { report.add(Self.versionFinding(fallback)) }
        if await client.protocolVersion == .v5 {
            report.add(await aclFinding(client: client, topics: settings.topics))
        } else {
            report.add(DoctorFinding("ACL", .skipped, "MQTT 3.1.1 does not say when a publish is refused"))
        }
        await client.disconnect()
    }

    /// The broker turned MQTT 5.0 down and accepted 3.1.1: a device on `auto` copes, one wasted
    /// attempt a start; the finding names the setting that pins the version.
    static func versionFinding(_ fallback: MQTTVersionFallback) -> DoctorFinding {
        DoctorFinding(
            "MQTT version", .warning, "the broker does not speak MQTT 5.0: \(fallback), and accepted MQTT 3.1.1",
            fix: "pin the version: `smartreader config set --state-dir DIR emulator.mqtt-version 3.1.1`, or run with --mqtt-version 3.1.1")
    }

    private func aclFinding(client: MQTTClient, topics: DeviceTopics) async -> DoctorFinding {
        let own = topics.doctor
        let foreign = DeviceTopics(prefix: topics.prefix, deviceID: "doctor-probe-not-" + topics.deviceID).doctor
        let ownAnswer = try? await client.publish(topic: own, payload: ByteBuffer(string: "doctor"), qos: .atLeastOnce)
        let foreignAnswer = try? await client.publish(topic: foreign, payload: ByteBuffer(string: "doctor"), qos: .atLeastOnce)
        switch (ownAnswer?.reasonCode, foreignAnswer?.reasonCode) {
        case (let mine?, let theirs?) where !mine.isFailure && theirs.isFailure:
            return DoctorFinding("ACL", .passed, "publishing to \(own) is allowed; to \(foreign) refused (\(theirs))")
        case (let mine?, _) where mine.isFailure:
            return DoctorFinding(
                "ACL", .failed, "publishing to the device's own topic \(own) is refused (\(mine))",
                fix: "the broker's ACL must let the device write {prefix}/{its CN}/#")
        case (_, let theirs?) where !theirs.isFailure:
            return DoctorFinding(
                "ACL", .failed, "publishing to another device's topic \(foreign) is allowed",
                fix: "the broker's ACL must confine a device to {prefix}/{its CN}/#")
        default:
            return DoctorFinding("ACL", .warning, "the broker did not answer both probes within the response timeout")
        }
    }
}

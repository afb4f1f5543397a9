import DeviceIdentity
import Foundation
import HostSystem
import Logging
import NIOSSL
import SpringCore
import TestSupport
import Testing

@testable import Gateway

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

private func provisioned(_ name: String = #function) throws -> (DeviceStateDirectory, DevelopmentPKI) {
    let root = (NSTemporaryDirectory() as NSString).appendingPathComponent(
        "sr-gw-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))")
    let pki = try DevelopmentPKI.create(at: (root as NSString).appendingPathComponent("pki"))
    let state = DeviceStateDirectory(path: (root as NSString).appendingPathComponent("device"))
    try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
        .provision(state: state, serialNumber: "da1275b0", broker: BrokerAddress(host: "broker.example", port: 18883))
    return (state, pki)
}

@Test("a provisioned device resolves to TLS with client authentication, CN = serial = client ID, topics by serial")
func provisionedSettings() throws {
    let (state, _) = try provisioned()
    let settings = try DeviceSettings(state: state, brokerOverride: nil)
    #expect(settings.factory.serialNumber == "DA1275B0")
    #expect(settings.broker == BrokerAddress(host: "broker.example", port: 18883))
    #expect(settings.tls == TLSOptionsRegister.provisioned)
    #expect(settings.topics.readerEvent == "springcard/springcore/DA1275B0/rdr/evt")
    let identity = try DeviceTLSIdentity(settings: settings, state: state, options: DeviceRunOptions(), logger: quiet)
    #expect(identity.clientID == "DA1275B0")
    #expect(identity.configuration?.certificateChain.count == 2, "the leaf and the Client CA are sent")
    #expect(!ProtectedFile.othersCanRead(state.keyPath(slot: 0x0D)))
}

@Test("--broker overrides registers 0286 and 0285; a host alone keeps the configured port")
func brokerOverride() throws {
    let (state, _) = try provisioned()
    #expect(
        try DeviceSettings(state: state, brokerOverride: BrokerAddress(host: "other", port: 1)).broker
            == BrokerAddress(host: "other", port: 1))
    #expect(
        try DeviceSettings(state: state, brokerOverride: BrokerAddress(host: "other", port: nil)).broker
            == BrokerAddress(host: "other", port: 18883))
}

@Test("the Device ID register renames the topics; the client ID stays the CN")
func deviceIDRegister() throws {
    let (state, _) = try provisioned()
    try state.editConfiguration { $0.setString(.deviceID, "gate-7") }
    let settings = try DeviceSettings(state: state, brokerOverride: nil)
    #expect(settings.topics.meta == "springcard/springcore/gate-7/meta")
    #expect(try DeviceTLSIdentity(settings: settings, state: state, options: DeviceRunOptions(), logger: quiet).clientID == "DA1275B0")
}

@Test("settings refusals name the register and the fix")
func refusals() throws {
    let (state, _) = try provisioned()
    try state.editConfiguration { $0.setString(.broker, "") }
    #expect(throws: GatewayError.self) { try DeviceSettings(state: state, brokerOverride: nil) }

    try state.editConfiguration {
        $0.setString(.broker, "b"); $0[.outputFormats] = [0x00, 0x03, 0x00, 0x03, 0x00]
    }
    #expect(throws: GatewayError.self) { try DeviceSettings(state: state, brokerOverride: nil) }
    do {
        _ = try DeviceSettings(state: state, brokerOverride: nil)
    } catch {
        #expect(
            error.description
                == "\(state.configurationPath): register 02A0 byte 3 (network output format) is 3 (MK1), which the emulator does not send over MQTT; use 2 (JSON, e.g. 0003000200) or 1 ($SCRDR, 0003000100)"
        )
    }

    try state.editConfiguration {
        $0[.outputFormats] = SmartReaderFeatures.factoryDefault; $0[.mode] = [0x03]
    }
    #expect(throws: GatewayError.self) { try DeviceSettings(state: state, brokerOverride: nil) }

    try state.editConfiguration {
        $0[.mode] = [0x64]; $0[.tlsOptions] = [0x07, 0x0E, 0x8D, 0x0D, 0x01]
    }
    let acceptAny = try DeviceSettings(state: state, brokerOverride: nil)
    do {
        _ = try DeviceTLSIdentity(settings: acceptAny, state: state, options: DeviceRunOptions(), logger: quiet)
        Issue.record("accept-any server check was not refused")
    } catch {
        guard case .verificationDisabled = error else { Issue.record("wrong error \(error)"); return }
    }
    #expect(
        try DeviceTLSIdentity(settings: acceptAny, state: state, options: DeviceRunOptions(insecure: true), logger: quiet).configuration?
            .certificateVerification
            == CertificateVerification.none)

    try FileManager.default.removeItem(atPath: state.certificatePath(slot: 0x0E))
    try state.editConfiguration { $0[.tlsOptions] = TLSOptionsRegister.provisioned.bytes }
    do {
        _ = try DeviceTLSIdentity(
            settings: try DeviceSettings(state: state, brokerOverride: nil), state: state, options: DeviceRunOptions(), logger: quiet)
        Issue.record("a missing CA slot was not reported")
    } catch {
        guard case .missingSlot(_, 0x0E, _) = error else { Issue.record("wrong error \(error)"); return }
    }
}

@Test("the boot counter persists and increments")
func bootCounter() throws {
    let (state, _) = try provisioned()
    #expect(try state.nextBootCount(logger: quiet) == 1)
    #expect(try state.nextBootCount(logger: quiet) == 2)
    #expect(try String(contentsOfFile: state.file("bootcount"), encoding: .utf8) == "2\n")
}

@Test("provisioning refuses a bad serial number and an occupied state directory")
func provisioningGuards() throws {
    #expect(throws: GatewayError.self) { try DeviceProvisioning.validateSerialNumber("XYZ") }
    #expect(throws: GatewayError.self) { try DeviceProvisioning.validateSerialNumber("DA1275B") }
    let (state, pki) = try provisioned()
    let profile = try DeviceProfile.load(name: "springpark", directory: DataFiles.directory("DeviceProfiles"))
    #expect(throws: GatewayError.self) {
        try DeviceProvisioning(pki: pki, profile: profile).provision(
            state: state, serialNumber: "DA1275B1", broker: BrokerAddress(host: "b", port: nil))
    }
}

@Test("config.json is replaced atomically, owner-only, and read back as set")
func savesConfiguration() throws {
    let (state, _) = try provisioned()
    var current = try state.loadCurrentFile()
    try NamedSetting.named("mqtt.keep-alive").set("45", in: &current)
    try state.saveConfiguration(current)
    #expect(!ProtectedFile.othersCanRead(state.configurationPath))
    #expect(try DeviceSettings(state: state, brokerOverride: nil).clientOptions.keepAlive == 45)
    #expect(try FileManager.default.contentsOfDirectory(atPath: state.path).allSatisfy { !$0.contains(".tmp-") }, "no temporary file left")
}

@Test("a private key other users can read is refused, naming the file and the fix, unless --allow-readable-key is given")
func readableKeyRefused() throws {
    let (state, _) = try provisioned()
    let settings = try DeviceSettings(state: state, brokerOverride: nil)
    let key = state.keyPath(slot: settings.tls.clientKeySlot)
    chmod(key, 0o644)
    do {
        _ = try DeviceTLSIdentity(settings: settings, state: state, options: DeviceRunOptions(), logger: quiet)
        Issue.record("a world-readable key was accepted")
    } catch {
        guard case .keyReadableByOthers(key) = error else { Issue.record("wrong error \(error)"); return }
        #expect(error.description.contains("chmod 600 \(key)") && error.description.contains("--allow-readable-key"))
    }
    #expect(
        try DeviceTLSIdentity(settings: settings, state: state, options: DeviceRunOptions(allowReadableKey: true), logger: quiet).clientID
            == "DA1275B0")
}

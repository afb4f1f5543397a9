import DeviceIdentity
import Foundation
import Logging
import SpringCore
import TestSupport
import Testing

@testable import Gateway

@Test(
    "a device provisioned by the previous version (one-byte 02A0, 0288 370E8D0D01) loads after the upgrade, sending its client CA as before"
)
func previousVersionDeviceUpgraded() throws {
    let root = temporaryDirectory()
    let pki = try DevelopmentPKI.create(at: root + "/pki")
    let state = DeviceStateDirectory(path: root + "/device")
    try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
        .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "broker.example", port: 8883))
    // What the previous version wrote: its profile's one-byte 02A0, and its own layout of 0288.
    let oldFactory = #"{"config": {"00.s": "", "86.s": "", "88": "0000000000", "89": "5314030A1E1E", "A0": "02", "C0": "64"}}"#
    try Data(oldFactory.utf8).write(to: URL(fileURLWithPath: state.factoryConfigurationPath))
    var config = try state.loadCurrentFile()
    config[.tlsOptions] = nil
    config[.outputFormats] = nil
    let oldConfig = String(decoding: config.serialized(), as: UTF8.self)
        .replacingOccurrences(of: "\"config\": {", with: "\"config\": {\n    \"88\": \"370E8D0D01\",\n    \"A0\": \"01\",")
    try Data(oldConfig.utf8).write(to: URL(fileURLWithPath: state.configurationPath))
    #expect(throws: GatewayError.self, "the old files do not load as they are") { _ = try state.loadConfiguration() }

    try StateDirectoryUpgrade.run(state, logger: Logger(label: "test"))
    let upgraded = try state.loadConfiguration()
    #expect(upgraded[.tlsOptions] == TLSOptionsRegister.provisioned.bytes)
    #expect(upgraded[.outputFormats] == [0x00, 0x03, 0x00, 0x01, 0x00], "the output format chosen before ($SCRDR) is kept")
    #expect(try String(contentsOfFile: state.configurationPath + ".before-upgrade", encoding: .utf8) == oldConfig)
    #expect(try String(contentsOfFile: state.factoryConfigurationPath + ".before-upgrade", encoding: .utf8) == oldFactory)
    #expect(StateDirectoryTrust(state: state).problems.isEmpty)

    // A second start changes nothing more.
    let once = try Data(contentsOf: URL(fileURLWithPath: state.configurationPath))
    try StateDirectoryUpgrade.run(state, logger: Logger(label: "test"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: state.configurationPath)) == once)
}

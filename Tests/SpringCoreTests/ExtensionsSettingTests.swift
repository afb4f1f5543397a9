import Foundation
import Testing

@testable import SpringCore

private func configuration(_ json: String) throws -> DeviceConfiguration {
    try DeviceConfiguration(ConfigData.parse(Data(json.utf8), file: "f.json"))
}

@Test("emulator.extensions: on unless the emulator section says false; config set writes it there")
func extensionsSetting() throws {
    #expect(try configuration(#"{"config": {}}"#).extensions)
    #expect(try configuration(#"{"emulator": {"extensions": true}}"#).extensions)
    #expect(try !configuration(#"{"emulator": {"extensions": false}}"#).extensions)

    var data = try ConfigData.parse(Data(#"{"emulator": {"mqtt-version": "5"}}"#.utf8), file: "f.json")
    let setting = try NamedSetting.named("emulator.extensions")
    #expect(setting.value(in: data) == "on")
    try setting.set("off", in: &data)
    #expect(setting.value(in: data) == "off")
    #expect(try !DeviceConfiguration(data).extensions)
    #expect(try DeviceConfiguration(data).mqttVersion == .v5, "the section's other members are kept")
    #expect(throws: NamedSettingError.self) { try setting.set("false", in: &data) }
}

@Test("cfg/set is an extension: remote-config on with extensions off is refused, not silently ignored")
func remoteConfigurationNeedsExtensions() throws {
    do {
        _ = try configuration(#"{"emulator": {"remote-config": true, "extensions": false}}"#)
        Issue.record("accepted")
    } catch {
        #expect("\(error)".contains(#"cfg/set is an extension a real device does not have"#), "\(error)")
    }
    #expect(try !configuration(#"{"emulator": {"remote-config": false, "extensions": false}}"#).remoteConfiguration)
}

/// The META page (docs.springcard.com, SpringCore, Host Protocols, Smart Reader Protocols, JSON
/// Messages, META Message): "Open", boolean, always, "true if all the security settings in the
/// configuration are open, false otherwise".
@Test(
    "META Open: true only with no TLS and no MQTT login or password",
    arguments: [
        (#"{"config": {"88": "0000000000"}}"#, true),
        (#"{"config": {}}"#, true),
        (#"{"config": {"88": "0300000000"}}"#, false),
        (#"{"config": {"88": "0000000000", "8B": "75736572"}}"#, false),
        (#"{"config": {"88": "0000000000", "8C": "736563726574"}}"#, false),
    ])
func metaOpen(file: String, open: Bool) throws {
    #expect(MetaMessage.isOpen(try configuration(file)) == open)
}

/// The same page: "Revision", string, always, "Complete version of the firmware"; its example has
/// Version "1.23" and Revision "1.23-11-g30998598".
@Test("META Revision: the complete version string, always sent")
func metaRevision() {
    func meta(version: String, revision: String) -> MetaMessage {
        let constants = ProductConstants(
            vendorName: "SpringCard", productName: "SpringPark", productVariant: "", hardware: "EAN19217",
            firmware: "SpringCore/E518/SpringPark", version: version, revision: revision, interfaces: "13.56")
        return MetaMessage(
            constants: constants, serialNumber: "DA1275B0", configID: "", inventory: "", location: "", physicalAddress: "",
            ipAddress: "", outputFormat: .json, open: true)
    }
    #expect(meta(version: "1.23", revision: "1.23-11-g30998598").revision == "1.23-11-g30998598")
    #expect(meta(version: "1.10", revision: "A").revision == "1.10-A")
    #expect(meta(version: "1.10", revision: "").json.contains(#""Revision":"1.10","#), "never left out")
    #expect(meta(version: "1.10", revision: "").json.contains(#""Open":true,"#))
}

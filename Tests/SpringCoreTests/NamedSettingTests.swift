import Foundation
import Testing

@testable import SpringCore

private let provisioned: ConfigData = {
    var data = ConfigData()
    data[.clientOptions] = ClientOptionsRegister.factoryDefault.bytes
    data[.tlsOptions] = TLSOptionsRegister.provisioned.bytes
    data[.mode] = [0x64]
    data[.outputFormats] = SmartReaderFeatures.factoryDefault
    data.setString(.broker, "broker.example")
    data.setString(.password, "hunter2")
    return data
}()

@Test("writing back what a setting reads leaves every register unchanged", arguments: NamedSetting.all.map(\.name))
func readWriteIsIdentity(name: String) throws {
    let setting = try NamedSetting.named(name)
    guard name != "mqtt.password" else { return }  // read as "(set)", never shown
    var data = provisioned
    try setting.set(setting.value(in: provisioned), in: &data)
    #expect(data.registers == provisioned.registers || setting.register.map { provisioned[$0] == nil } == true)
}

@Test(
    "named settings write the bits the reference defines",
    arguments: [
        ("mqtt.keep-alive", "30", RegisterAddress.clientOptions, [0x53, 0x14, 0x03, 0x1E, 0x1E, 0x1E] as [UInt8]),
        ("mqtt.publish-qos", "0", .clientOptions, [0x43, 0x14, 0x03, 0x0A, 0x1E, 0x1E]),
        ("mqtt.subscribe-qos", "2", .clientOptions, [0x93, 0x14, 0x03, 0x0A, 0x1E, 0x1E]),
        ("mqtt.retain", "off", .clientOptions, [0x52, 0x14, 0x03, 0x0A, 0x1E, 0x1E]),
        ("tls.client-auth", "off", .tlsOptions, [0x37, 0x0E, 0x0D, 0x4D, 0x8F]),
        ("tls.server-check", "accept-any", .tlsOptions, [0x07, 0x0E, 0x8D, 0x4D, 0x8F]),
        ("tls.client-certificate-slot", "0A", .tlsOptions, [0x37, 0x0E, 0x8A, 0x4D, 0x8F]),
        ("tls.client-key-slot", "02", .tlsOptions, [0x37, 0x0E, 0x8D, 0x42, 0x8F]),
        ("tls.client-key-store", "raw", .tlsOptions, [0x37, 0x0E, 0x8D, 0x0D, 0x8F]),
        ("tls.send-client-ca", "off", .tlsOptions, [0x37, 0x0E, 0x8D, 0x4D, 0x0F]),
        ("tls.client-ca-slot", "03", .tlsOptions, [0x37, 0x0E, 0x8D, 0x4D, 0x83]),
        ("tls.server-ca-slot", "07", .tlsOptions, [0x37, 0x07, 0x8D, 0x4D, 0x8F]),
        ("device.mode", "hid", .mode, [0x03]),
        ("output.format", "scrdr", .outputFormats, [0x00, 0x03, 0x00, 0x01, 0x00]),
        ("mqtt.port", "8884", .networkPorts, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x22, 0xB4, 0, 0]),
        ("mqtt.broker", "10.0.0.7", .broker, Array("10.0.0.7".utf8)),
    ])
func writesBits(name: String, value: String, register: RegisterAddress, bytes: [UInt8]) throws {
    var data = provisioned
    try NamedSetting.named(name).set(value, in: &data)
    #expect(data[register] == bytes)
    #expect(try NamedSetting.named(name).value(in: data) == value)
}

@Test("bad values and unknown names are refused with what is accepted")
func refusals() {
    var data = provisioned
    #expect(throws: NamedSettingError.badValue(setting: "mqtt.keep-alive", value: "300", accepted: "a number of seconds from 0 to 255")) {
        try NamedSetting.named("mqtt.keep-alive").set("300", in: &data)
    }
    #expect(
        throws: NamedSettingError.badValue(setting: "tls.client-certificate-slot", value: "1F", accepted: "a slot number in hex, 00 to 0F")
    ) {
        try NamedSetting.named("tls.client-certificate-slot").set("1F", in: &data)
    }
    #expect(
        throws: NamedSettingError.badValue(
            setting: "mqtt.broker", value: String(repeating: "b", count: 49), accepted: "text of at most 48 bytes")
    ) {
        try NamedSetting.named("mqtt.broker").set(String(repeating: "b", count: 49), in: &data)
    }
    #expect(throws: NamedSettingError.self) { try NamedSetting.named("mqtt.kepalive") }
    #expect(data == provisioned, "a refused value changes nothing")
}

@Test("the password is never shown, only whether it is set")
func passwordHidden() throws {
    #expect(try NamedSetting.named("mqtt.password").value(in: provisioned) == "(set)")
    #expect(try NamedSetting.named("mqtt.password").value(in: ConfigData()) == "")
}

@Test("the summary says the effective settings in words")
func summary() {
    #expect(
        ConfigurationSummary.lines(for: provisioned) == [
            "broker broker.example:8883, TLS 1.2+, server chain checked against the CA in slot 0E, client certificate from slot 0D, key slot 0D, client CA 0F chained",
            "topics {serial}/..., client ID = certificate CN",
            "publish QoS 1, subscribe QoS 1, keep-alive 10 s, connect timeout 20 s, response timeout 3 s",
            "STATUS every 30 s, reconnect backoff up to 30 s, Last Will on, retained META/STATUS on",
            "events as RDR/JSON, TagId as read (no template), same tag again after 3.0 s, cfg/set off",
        ])
}

@Test("a diff names settings where one covers the change, registers otherwise, and sections kept verbatim")
func difference() throws {
    let old = try ConfigData.parse(
        Data(#"{"config":{"89":"5314030A1E1E","86.s":"a","B7":"0102","88":"370E8D0D01"},"samav":{"k":1}}"#.utf8), file: "a")
    let new = try ConfigData.parse(
        Data(#"{"config":{"89":"4314031E1E1E","86.s":"b","88":"370E8D0D01","8D.s":""},"samav":{"k":2},"security":{}}"#.utf8), file: "b")
    #expect(
        ConfigDifference.lines(from: old, to: new) == [
            "0286 mqtt.broker: a -> b",
            "0289 mqtt.publish-qos: 1 -> 0",
            "0289 mqtt.keep-alive: 10 -> 30",
            "028D (absent) -> (blank)",
            "02B7 0102 -> (absent) (not emulated)",
            "section samav changed (not emulated)",
            "section security added (not emulated)",
        ])
    #expect(ConfigDifference.lines(from: old, to: old).isEmpty)
}

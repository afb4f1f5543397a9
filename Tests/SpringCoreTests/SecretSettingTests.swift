import Foundation
import Testing

@testable import SpringCore

@Test("the MQTT password is never shown: not as a value, as register bytes, in a refusal, or in a diff")
func passwordMasked() throws {
    let password = try NamedSetting.named("mqtt.password")
    var data = ConfigData()
    try password.set("S3CRET-PW", in: &data)
    #expect(password.value(in: data) == "(set)")
    #expect(password.registerValue(in: data) == "(set)")
    #expect(!password.registerValue(in: data).contains(Hex.encode(Array("S3CRET-PW".utf8))))
    do {
        try password.set(String(repeating: "S3CRET-PW", count: 10), in: &data)
        Issue.record("a password over 16 bytes (028C, config/springpark.xml) was taken")
    } catch {
        #expect(error == .badSecret(setting: "mqtt.password", accepted: "text of at most 16 bytes"))
        #expect(!error.description.contains("S3CRET"))
    }
    var other = data
    try password.set("OTHER-PW", in: &other)
    let lines = ConfigDifference.lines(from: data, to: other)
    #expect(lines == ["028C mqtt.password: changed (not shown: it is a secret)"])
    #expect(!lines.joined().contains(Hex.encode(Array("OTHER-PW".utf8))))
    let keepAlive = try NamedSetting.named("mqtt.keep-alive")
    try keepAlive.set("30", in: &data)
    #expect(keepAlive.registerValue(in: data) == "5314031E1E1E", "other registers are shown in hex")
}

@Test("tls.check-name off with the broker's certificate verified is refused: the emulator always checks the name")
func checkNameOffRefused() throws {
    var data = ConfigData()
    data[.tlsOptions] = TLSOptionsRegister.provisioned.bytes
    try NamedSetting.named("tls.check-name").set("off", in: &data)
    #expect(data[.tlsOptions]?[0] == 0x33)
    do {
        _ = try DeviceConfiguration(data)
        Issue.record("check-name off was accepted")
    } catch {
        #expect(error.description.hasPrefix("register 0288 turns the broker name check off"), "\(error)")
        #expect(error.description.contains("set tls.check-name on"))
    }
    // With no server check at all (only with --insecure) there is no name to check.
    data[.tlsOptions] = [0x03, 0x0E, 0x8D, 0x0D, 0x01]
    #expect(try DeviceConfiguration(data).tls.checkServerName == false)
}

import Foundation
import Testing

@testable import SpringCore

private func configuration(prefix: [UInt8]?, deviceID: [UInt8]?) throws(ConfigurationError) -> DeviceConfiguration {
    var data = ConfigData()
    if let prefix { data[.topicPrefix] = prefix }
    if let deviceID { data[.deviceID] = deviceID }
    return try DeviceConfiguration(data)
}

@Test(
    "a topic prefix (028E) or Device ID (028F) that no broker accepts in a topic name is refused, naming the register and the character",
    arguments: [
        ("a/+", "", "register 028E", #""+" (U+002B, character 3)"#),
        ("springcard/#", "", "register 028E", ##""#" (U+0023, character 12)"##),
        ("a\u{0}b", "", "register 028E", "U+0000"),
        ("line\nbreak", "", "register 028E", #""\u{A}" (U+000A"#),
        ("tab\there", "", "register 028E", "U+0009"),
        ("x\u{7F}", "", "register 028E", "U+007F"),
        ("x\u{85}", "", "register 028E", "U+0085"),
        ("x\u{FFFF}", "", "register 028E", "U+FFFF"),
        ("$SYS/x", "", "register 028E", "starts with"),
        ("acme", "gate/3", "register 028F", #""/" (U+002F, character 5)"#),
        ("acme", "+", "register 028F", "wildcard"),
        ("acme", "#", "register 028F", "wildcard"),
        ("acme", "id\r", "register 028F", "U+000D"),
        ("", "$id", "register 028F", "starts with"),
        ("/", "$id", "register 028F", "starts with"),
    ])
func badTopicParts(prefix: String, deviceID: String, register: String, character: String) {
    do {
        _ = try configuration(prefix: Array(prefix.utf8), deviceID: Array(deviceID.utf8))
        Issue.record("prefix \(prefix.debugDescription), Device ID \(deviceID.debugDescription) were accepted")
    } catch {
        #expect(error.description.hasPrefix(register) && error.description.contains(character), "\(error)")
        #expect(!error.description.contains("\n") && !error.description.contains("\r"), "control characters are escaped")
    }
}

@Test("register bytes that are not UTF-8 (written in hex) cannot make a topic")
func topicPartNotUTF8() {
    #expect(throws: ConfigurationError.badRegister(.deviceID, reason: "(Device ID) is not valid UTF-8, which MQTT topic names must be")) {
        try configuration(prefix: nil, deviceID: [0x41, 0xFF])
    }
}

@Test(
    "what MQTT allows passes: several levels, a leading slash, an empty prefix, $ inside, non-ASCII",
    arguments: [
        ("springcard/springcore", ""), ("springcard/springcore/", "gate-3"), ("/tenant", "dev1"), ("", "DA1275B0"),
        ("a$b", "x$"), ("usine/entrée", "porte-é"), ("acme", "$id"),
    ])
func goodTopicParts(prefix: String, deviceID: String) throws {
    let device = try configuration(prefix: Array(prefix.utf8), deviceID: Array(deviceID.utf8))
    #expect(device.naming.topicPrefix == prefix && device.naming.deviceID == deviceID)
}

import Foundation
import Testing

@testable import SpringCore

// `config show` opens with ConfigurationSummary: it must say what the emulator does, not what a
// register's name suggests (0288 from springcard/springcore-xmlfiles config/springpark.xml).

private func summary(_ file: String) throws -> [String] {
    ConfigurationSummary.lines(for: try ConfigData.parse(Data(file.utf8), file: "f.json"))
}

@Test("0288 modes the emulator refuses are shown as refused, never as pinned or chain-checked", arguments: ["170E8D4D8F", "270E8D4D8F"])
func refusedTrustModesShownAsRefused(value: String) throws {
    let transport = try summary(#"{"config": {"86.s": "b.example", "88": "\#(value)"}}"#)[0]
    #expect(
        transport.contains("not emulated: refused") && !transport.contains("pinned") && !transport.contains("chain checked"), "\(transport)"
    )
}

@Test("0288 with SNI off is shown as refused")
func sniOffShownAsRefused() throws {
    let transport = try summary(#"{"config": {"86.s": "b.example", "88": "350E8D4D8F"}}"#)[0]
    #expect(transport.contains("SNI off (not emulated: refused)"), "\(transport)")
}

@Test("extensions off: nothing is retained, whatever 0289's retain bit says")
func retainedFollowsExtensions() throws {
    let on = try summary(#"{"config": {"89": "5314030A1E1E"}}"#)[3]
    let off = try summary(#"{"config": {"89": "5314030A1E1E"}, "emulator": {"extensions": false}}"#)[3]
    #expect(on.hasSuffix("retained META/STATUS on"), "\(on)")
    #expect(off.hasSuffix("retained META/STATUS off"), "\(off)")
}

@Test(
    "the topics shown are those the device forms from 028E: a trailing slash dropped, none before the ID of an empty prefix",
    arguments: [
        ("a/b/", "topics a/b/{serial}/..."), ("a/b", "topics a/b/{serial}/..."), ("/", "topics {serial}/..."), ("", "topics {serial}/..."),
    ])
func topicsAsTheDeviceFormsThem(prefix: String, shown: String) throws {
    let topics = try summary(#"{"config": {"8E.s": "\#(prefix)"}}"#)[1]
    let device = DeviceTopics(prefix: prefix, deviceID: "{serial}")
    #expect(topics.hasPrefix(shown + ","), "\(topics)")
    #expect(device.meta.hasPrefix(String(shown.dropFirst("topics ".count).dropLast("...".count))), "\(device.meta)")
}

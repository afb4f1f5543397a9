import MQTT
import SpringCore
import Testing

@testable import Gateway

@Test(
    "--mqtt-version wins over emulator.mqtt-version; only auto falls back from 5.0",
    arguments: [
        (nil, MQTTVersionSetting.auto, MQTTProtocolVersion.v5, true),
        (nil, .v5, .v5, false),
        (nil, .v3_1_1, .v3_1_1, false),
        (.v3_1_1, .auto, .v3_1_1, false),
        (.v5, .v3_1_1, .v5, false),
        (.v3_1_1, .v5, .v3_1_1, false),
    ] as [(MQTTProtocolVersion?, MQTTVersionSetting, MQTTProtocolVersion, Bool)])
func versionChoice(flag: MQTTProtocolVersion?, setting: MQTTVersionSetting, first: MQTTProtocolVersion, fallsBack: Bool) {
    let choice = MQTTVersionChoice(pinned: flag, setting: setting)
    #expect(choice.firstVersion == first)
    #expect(choice.fallsBack == fallsBack)
}

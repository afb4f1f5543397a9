import MQTT
import SpringCore

/// The MQTT version a device connects with: `--mqtt-version` when given, else its
/// configuration's `emulator.mqtt-version`. Only `auto` lets the client fall back from 5.0 to 3.1.1.
struct MQTTVersionChoice {
    let firstVersion: MQTTProtocolVersion
    let fallsBack: Bool

    init(pinned: MQTTProtocolVersion?, setting: MQTTVersionSetting) {
        switch (pinned, setting) {
        case (let version?, _): (firstVersion, fallsBack) = (version, false)
        case (nil, .auto): (firstVersion, fallsBack) = (.v5, true)
        case (nil, .v5): (firstVersion, fallsBack) = (.v5, false)
        case (nil, .v3_1_1): (firstVersion, fallsBack) = (.v3_1_1, false)
        }
    }
}

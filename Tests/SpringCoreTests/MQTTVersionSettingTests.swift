import Testing

@testable import SpringCore

private func configuration(emulator: JSONValue?) throws(ConfigurationError) -> DeviceConfiguration {
    var data = ConfigData()
    if let emulator { data.otherSections[DeviceConfiguration.emulatorSection] = emulator }
    return try DeviceConfiguration(data)
}

@Test("the MQTT version is auto unless the emulator section pins 5 or 3.1.1")
func mqttVersionSetting() throws {
    #expect(try configuration(emulator: nil).mqttVersion == .auto)
    #expect(try configuration(emulator: .object(["remote-config": .bool(true)])).mqttVersion == .auto)
    #expect(try configuration(emulator: .object(["mqtt-version": .string("3.1.1")])).mqttVersion == .v3_1_1)
    #expect(try configuration(emulator: .object(["mqtt-version": .string("5")])).mqttVersion == .v5)
}

@Test("a version the emulator does not know is refused with the values it knows", arguments: [JSONValue.string("4"), .number(5)])
func badMQTTVersion(value: JSONValue) {
    do {
        _ = try configuration(emulator: .object(["mqtt-version": value]))
        Issue.record("accepted \(value)")
    } catch {
        #expect("\(error)".contains(#""mqtt-version" must be one of "auto", "5", "3.1.1""#), "\(error)")
    }
}

@Test("config set emulator.mqtt-version writes the emulator section, keeps remote-config, and touches no register")
func setMQTTVersionByName() throws {
    var data = ConfigData()
    data[.mode] = [0x64]
    data.otherSections[DeviceConfiguration.emulatorSection] = .object(["remote-config": .bool(true)])
    let registers = data.registers
    let setting = try NamedSetting.named("emulator.mqtt-version")
    #expect(setting.value(in: data) == "auto")
    try setting.set("3.1.1", in: &data)
    #expect(setting.value(in: data) == "3.1.1")
    #expect(
        data.otherSections[DeviceConfiguration.emulatorSection]
            == .object(["remote-config": .bool(true), "mqtt-version": .string("3.1.1")]))
    #expect(data.registers == registers)
    #expect(throws: NamedSettingError.badValue(setting: "emulator.mqtt-version", value: "6", accepted: "auto, 5, 3.1.1")) {
        try setting.set("6", in: &data)
    }
    #expect(try DeviceConfiguration(data).mqttVersion == .v3_1_1)
}

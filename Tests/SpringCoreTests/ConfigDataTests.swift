import Foundation
import HostSystem
import Testing

@testable import SpringCore

@Test("CONFIG-DATA: low-byte addresses, format modifiers and blanks load into registers")
func configDataLoads() throws {
    let file = """
        {"config": {"86.s": "broker.example", "89": "5314030a1e1e", "8D.s": "", "0288": "370E8D0D01", "A0": "0003000200",
                    "01.i": 258, "02.b": true, "00.64": "AQID"},
         "templates": {"11": "0F"}, "samav": {"keys": [1, 2]}}
        """
    let data = try ConfigData.parse(Data(file.utf8), file: "push.json")
    #expect(data.string(.broker) == "broker.example")
    #expect(data[.clientOptions] == [0x53, 0x14, 0x03, 0x0A, 0x1E, 0x1E])
    #expect(data[.clientID] == [])
    #expect(data[.tlsOptions] == [0x37, 0x0E, 0x8D, 0x0D, 0x01])
    #expect(data[.inventory] == [0x01, 0x02])
    #expect(data[.location] == [0x01])
    #expect(data[.configID] == [1, 2, 3])
    #expect(data[RegisterAddress(bank: 3, number: 0x11)] == [0x0F])
    #expect(data.otherSections["samav"] == .object(["keys": .array([.number(1), .number(2)])]))
}

@Test("CONFIG-DATA saves what it loaded, modifiers included")
func configDataRoundTrips() throws {
    let file = #"{"config":{"86.s":"b","89":"5314030A1E1E","01.i":258,"02.b":false,"00.64":"AQID"},"security":{"x":"y"}}"#
    let loaded = try ConfigData.parse(Data(file.utf8), file: "a.json")
    let reloaded = try ConfigData.parse(loaded.serialized(), file: "b.json")
    #expect(reloaded == loaded)
}

@Test(
    "CONFIG-DATA errors name the file and the register",
    arguments: [
        (
            #"{"config": {"89": "5314"}}"#,
            ConfigDataError.badValue(file: "f.json", register: .clientOptions, reason: "holds 6 bytes, got 2")
        ),
        (
            #"{"config": {"86.s": "\#(String(repeating: "x", count: 49))"}}"#,
            .badValue(file: "f.json", register: .broker, reason: "holds at most 48 bytes, got 49")
        ),
        (
            #"{"config": {"89": "53140G0A1E1E"}}"#,
            .badValue(file: "f.json", register: .clientOptions, reason: "\"53140G0A1E1E\" is not an even number of hex digits")
        ),
        (#"{"config": {"8Z": "00"}}"#, .badAddress(file: "f.json", key: "8Z")),
        (#"{"config": {"0389": "00"}}"#, .badAddress(file: "f.json", key: "0389")),
        (#"{"config": {"86.q": "x"}}"#, .badFormat(file: "f.json", key: "86.q")),
        (
            #"{"config": {"01.i": "many"}}"#,
            .badValue(file: "f.json", register: .inventory, reason: "\"many\" is not an integer from 0 to 4294967295")
        ),
        (#"{"config": {"02.b": "yes"}}"#, .badValue(file: "f.json", register: .location, reason: "a .b value must be a boolean")),
        (#"{"config": []}"#, .notAnObject(file: "f.json", section: "config")),
        (#"[1]"#, .notAnObject(file: "f.json", section: nil)),
    ])
func configDataErrors(file: String, error: ConfigDataError) {
    #expect(throws: error) { try ConfigData.parse(Data(file.utf8), file: "f.json") }
}

@Test("a JSON syntax error names the file, the line and the column")
func configDataSyntax() {
    let text = "{\n  \"config\": {\n    \"86.s\": ,\n  }\n}"
    #expect(throws: ConfigDataError.syntax(file: "broken.json", detail: "line 3, column 13: ',' cannot start a value")) {
        try ConfigData.parse(Data(text.utf8), file: "broken.json")
    }
}

@Test("registers and sections the emulator does not act on are kept and listed")
func notEmulatedListed() throws {
    let data = try ConfigData.parse(
        Data(#"{"config":{"89":"5314030A1E1E","A3":"0102","B7":"00"},"samav":{},"security":{"k":"v"}}"#.utf8), file: "f")
    #expect(data.notEmulatedRegisters.map(\.description) == ["02A3", "02B7"])
    #expect(data.notEmulatedSections == ["samav", "security"])
    let saved = try ConfigData.parse(data.serialized(), file: "g")
    #expect(saved.notEmulatedRegisters == data.notEmulatedRegisters && saved.otherSections == data.otherSections)
}

@Test("the SpringPark profile in DeviceProfiles/ loads, and a malformed profile is named")
func profiles() throws {
    let directory = SourceCheckout.root(of: #filePath)! + "/DeviceProfiles"
    let profile = try DeviceProfile.load(name: "springpark", directory: directory)
    #expect(profile.constants.productName == "SpringPark")
    #expect(profile.constants.firmware == "SpringCore/E518/SpringPark")
    #expect(profile.defaults[.clientOptions] == ClientOptionsRegister.factoryDefault.bytes)
    #expect(profile.defaults.string(.topicPrefix) == "springcard/springcore")
    #expect(throws: DeviceProfileError.self) { try DeviceProfile.parse(Data("{}".utf8), name: "bad", path: "bad.json") }
    do {
        _ = try DeviceProfile.load(name: "nope", directory: directory)
        Issue.record("a missing profile was found")
    } catch {
        #expect(error.description.contains("springpark"), "the error lists the known profiles")
    }
    let all = try DeviceProfile.loadAll(directory: directory)
    #expect(all.map(\.name) == ["pn532-gateway", "springcard-usb-hid", "springpark"])
    #expect(all.allSatisfy { !$0.summary.isEmpty && !$0.defaultReader.isEmpty })
}

@Test("a malformed profile is an error that names its file and the place")
func malformedProfileNamed() throws {
    let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent("profiles-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    try Data("{\"description\": }".utf8).write(to: URL(fileURLWithPath: directory + "/broken.json"))
    do {
        _ = try DeviceProfile.loadAll(directory: directory)
        Issue.record("a malformed profile loaded")
    } catch {
        #expect(
            error.description
                == "device profile \(directory)/broken.json is malformed: line 1, column 17: '}' cannot start a value")
    }
}

@Test("saving keeps the file's section order, entry order and address spelling")
func configDataKeepsLayout() throws {
    let text = """
        {
          "security": {
            "z": 1,
            "a": [
              "x"
            ]
          },
          "config": {
            "8E.s": "acme/readers",
            "0286.s": "broker.example",
            "89": "5314030A1E1E",
            "A1": "0102"
          },
          "constants": {
            "10": ""
          }
        }

        """
    let data = try ConfigData.parse(Data(text.utf8), file: "f.json")
    #expect(String(decoding: data.serialized(), as: UTF8.self) == text)
    var changed = data
    changed.setString(.deviceID, "gate-7")
    let saved = String(decoding: changed.serialized(), as: UTF8.self)
    #expect(saved.contains("\"A1\": \"0102\",\n    \"8F.s\": \"gate-7\""), "a new register goes after the file's own")
}

import Foundation
import SpringCore
import Testing

@Test(
    "registers that parse but cannot run are refused with the register and what to write",
    arguments: [
        (#"{"config": {"C0": "03"}}"#, "register 02C0 is 03 (hidKeyboard); only 64 (MQTT Smart Reader) is emulated"),
        (#"{"config": {"C0": "99"}}"#, "register 02C0 is 99, not a mode; use 64, 14, 24, 03 or 04"),
        (#"{"config": {"A0": "00"}}"#, "register 02A0 is 00; use 02 (RDR/JSON) or 01 ($SCRDR)"),
        (#"{"config": {"A6": "07"}}"#, "register 02A6 is 07; use 00 (QWERTY), 01 (AZERTY) or 02 (QWERTZ)"),
        (
            #"{"templates": {"31": "03"}}"#,
            "register 0331 uses format code 0011, which the reference does not define; use 0000, 0001, 0101, 1100, 1101, 1110 or 1111"
        ),
        (#"{"emulator": []}"#, "section \"emulator\" must be a JSON object"),
        (#"{"emulator": {"remote-config": "yes"}}"#, "section \"emulator\" \"remote-config\" must be true or false"),
        (
            #"{"emulator": {"remote": true}}"#,
            "section \"emulator\" has \"remote\", which the emulator does not know; it knows \"remote-config\""
        ),
    ])
func configurationRefusals(file: String, message: String) throws {
    let data = try ConfigData.parse(Data(file.utf8), file: "f.json")
    do {
        _ = try DeviceConfiguration(data)
        Issue.record("\(file) was accepted")
    } catch {
        #expect(error.description == message)
    }
}

@Test("a full configuration reads into every typed view")
func typedViews() throws {
    let file = #"""
        {"config": {"00.s": "v7", "01.s": "INV-1", "02.s": "gate 3", "86.s": "broker.example", "8B.s": "user", "8C.s": "pw",
          "8D.s": "DA1275B0", "8E.s": "acme", "8F.s": "gate-3", "A0": "01", "A1": "0500", "A6": "01", "A8.s": "<", "A9": "0D0A"},
         "templates": {"21": "8F"}, "emulator": {"remote-config": true}}
        """#
    let configuration = try DeviceConfiguration(try ConfigData.parse(Data(file.utf8), file: "f.json"))
    #expect(configuration.labels == DeviceLabels(try ConfigData.parse(Data(file.utf8), file: "f.json")))
    #expect(configuration.labels.location == "gate 3")
    #expect(configuration.broker == "broker.example")
    #expect(configuration.credentials.login == "user" && configuration.credentials.password == Array("pw".utf8))
    #expect(configuration.naming.topicPrefix == "acme" && configuration.naming.deviceID == "gate-3")
    #expect(configuration.outputFormat == .scrdr)
    #expect(configuration.readDelays.repeatHoldOff == .milliseconds(500))
    #expect(
        configuration.keyboard.layout == .azerty && configuration.keyboard.prefix == [0x3C]
            && configuration.keyboard.suffix == [0x0D, 0x0A])
    #expect(configuration.template?.number == 2 && configuration.template?.format.reverseBytes == true)
    #expect(configuration.remoteConfiguration)
}

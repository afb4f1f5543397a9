import Foundation
import SpringCore
import Testing

@Test(
    "registers that parse but cannot run are refused with the register and what to write",
    arguments: [
        (
            #"{"config": {"C0": "03"}}"#,
            "register 02C0 is 03 (network 0 disabled, profile 3 HID keyboard): the network is off, as a SpringPark leaves the factory, and the device would never reach its broker; write 64 (MQTT client, Smart Reader profile), as `pki provision` does"
        ),
        (
            #"{"config": {"C0": "99"}}"#,
            "register 02C0 is 99 (network 1 HTTP client, profile 1 SpringProx legacy) with reserved bit 7 or 3 set; clear them, e.g. 64"
        ),
        (
            #"{"config": {"A0": "0003000000"}}"#,
            "register 02A0 byte 3 (network output format) is 0 (TLV), which the emulator does not send over MQTT; use 2 (JSON, e.g. 0003000200) or 1 ($SCRDR, 0003000100)"
        ),
        (#"{"config": {"A6": "0C"}}"#, "register 02A6 is 0C; use 00 to 0B (00 US QWERTY, 01 French AZERTY, 02 German QWERTZ, ...)"),
        (
            #"{"templates": {"30": "01", "31": "07"}}"#,
            "register 0331 uses length and format code 0111 (byte 0 bits 3-0), which SpringCard reserves (RFU); use 0 to 6 or 8 to F "
                + "(0 decimal 10 digits, 1 hex 4 bytes, 5 hex 7 bytes, F hex variable...)"
        ),
        (#"{"emulator": []}"#, "section \"emulator\" must be a JSON object"),
        (#"{"emulator": {"remote-config": "yes"}}"#, "section \"emulator\" \"remote-config\" must be true or false"),
        (
            #"{"emulator": {"remote": true}}"#,
            "section \"emulator\" has \"remote\", which the emulator does not know; it knows \"remote-config\", \"mqtt-version\", \"extensions\""
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
          "8D.s": "DA1275B0", "8E.s": "acme", "8F.s": "gate-3", "A0": "0003000100", "A1": "0532", "A6": "05", "A8.s": "<", "A9": "0D0A"},
         "templates": {"20": "FF", "21": "CF"}, "emulator": {"remote-config": true}}
        """#
    let configuration = try DeviceConfiguration(try ConfigData.parse(Data(file.utf8), file: "f.json"))
    #expect(configuration.labels == DeviceLabels(try ConfigData.parse(Data(file.utf8), file: "f.json")))
    #expect(configuration.labels.location == "gate 3")
    #expect(configuration.broker == "broker.example")
    #expect(configuration.credentials.login == "user" && configuration.credentials.password == Array("pw".utf8))
    #expect(configuration.naming.topicPrefix == "acme" && configuration.naming.deviceID == "gate-3")
    #expect(configuration.outputFormat == .scrdr)
    #expect(configuration.readDelays.readInterval == .milliseconds(500) && configuration.readDelays.repeatInterval == .seconds(5))
    #expect(
        configuration.keyboard.layout == .azerty && configuration.keyboard.layoutCode == 5 && configuration.keyboard.prefix == [0x3C]
            && configuration.keyboard.suffix == [0x0D, 0x0A])
    #expect(configuration.templates.map(\.number) == [2] && configuration.templates.first?.format.swap == .all)
    #expect(configuration.remoteConfiguration)
}

import DeviceIdentity
import Foundation
import SpringCore
import TestSupport
import Testing

@testable import Gateway

/// Register facts from SpringCard's register map, springcard/springcore-xmlfiles:
/// config/springpark.xml (SpringPark firmware 1.23, hardware EAN19217) and, for 0201/0202,
/// xmls/springcore-individuals.xml. Each row: register, the vendor's size, the vendor's default.
private let vendorMap: [(register: RegisterAddress, size: Int, factory: String)] = [
    (.inventory, 16, ""),
    (.location, 16, ""),
    (.networkPorts, 14, "0000000000000000000000000000"),
    (.broker, 48, ""),
    (.tlsOptions, 5, "0000000000"),
    (.clientOptions, 6, "5314030A1E1E"),
    (.login, 16, ""),
    (.password, 16, ""),
    (.clientID, 24, ""),
    (.topicPrefix, 32, "737072696E67636172642F737072696E67636F7265"),
    (.deviceID, 24, ""),
    (.outputFormats, 5, "0003000200"),
    (.readDelays, 2, "0A1E"),
    (.keyboardLayout, 1, "00"),
    (.mode, 1, "00"),
    (.keyboardPrefix, 8, ""),
    (.keyboardSuffix, 8, "0A"),
]

@Test("the SpringPark profile's factory registers are the vendor map's defaults", arguments: vendorMap.map(\.register))
func profileDefaultsAreTheVendors(register: RegisterAddress) throws {
    let defaults = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory).defaults
    let vendor = try #require(vendorMap.first { $0.register == register })
    #expect(Hex.encode(defaults[register] ?? [0xEE]) == vendor.factory, "register \(register), source config/springpark.xml")
}

@Test("02C0 leaves the factory 00 (network off) and refused with what to write; provisioning makes the device an MQTT client")
func profileRegisterFactoryAndProvisioned() throws {
    let profile = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory)
    #expect(throws: ConfigurationError.self) { try DeviceConfiguration(profile.defaults) }
    let root = temporaryDirectory(#function)
    let state = DeviceStateDirectory(path: root + "/device")
    try DeviceProvisioning(pki: try DevelopmentPKI.create(at: root + "/pki"), profile: profile).provision(
        state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "localhost", port: 8883))
    #expect(try ConfigData.load(contentsOf: state.factoryConfigurationPath)[.mode] == [0x00])
    let configuration = try ConfigData.load(contentsOf: state.configurationPath)
    #expect(configuration[.mode] == [ProfileRegister.emulatedDefault])
    #expect(try DeviceConfiguration(configuration).profile.networkOperation == ProfileRegister.mqttClient)
}

@Test("the emulator accepts every vendor size and refuses one byte more", arguments: vendorMap.map(\.register))
func vendorSizes(register: RegisterAddress) throws {
    let vendor = try #require(vendorMap.first { $0.register == register })
    switch RegisterLayout.size(of: register) {
    case .exactly(let n)?: #expect(n == vendor.size)
    case .atMost(let n)?: #expect(n == vendor.size)
    case nil: Issue.record("register \(register) is not checked")
    }
    let tooLong = #"{"config": {"\#(Hex.encode([register.number])).s": "\#(String(repeating: "a", count: vendor.size + 1))"}}"#
    #expect(throws: ConfigDataError.self) { try ConfigData.parse(Data(tooLong.utf8), file: "f.json") }
}

/// A CONFIG-DATA file written with the vendor's sizes and codes, as SpringCoreConfig would load it.
@Test("a CONFIG-DATA file in the vendor's sizes and codes validates into what the vendor means")
func vendorFileRuns() throws {
    let file = #"""
        {"config": {"01.s": "INV-0123456789AB", "02.s": "Gate 3, level -2", "86.s": "broker.example",
          "88": "370E8D0D01", "89": "5314030A1E1E", "8E.s": "acme-parking/readers/site-00042", "8F.s": "gate-3",
          "A0": "0003000200", "A1": "05FF", "A6": "0B", "A8.s": "12345678", "A9": "0D0A", "C0": "64"}}
        """#
    let configuration = try DeviceConfiguration(try ConfigData.parse(Data(file.utf8), file: "vendor.json"))
    #expect(configuration.outputFormat == .json && !configuration.features.tracksMovements)
    #expect(configuration.readDelays.readInterval == .milliseconds(500) && configuration.readDelays.repeatInterval == nil)
    #expect(configuration.keyboard.layoutCode == 0x0B && configuration.keyboard.layout == .qwerty)
    #expect(configuration.profile.networkOperation == 6 && configuration.profile.primaryProfile == 4)
}

@Test(
    "02A0: byte 0 bit 4 tracks movements, byte 3 bits 2-0 the network format (config/springpark.xml)",
    arguments: [
        ("0003000200", false, OutputFormat.json),
        ("1003000200", true, .json),
        ("0003000100", false, .scrdr),
        ("1303030200", true, .json),
    ])
func outputFormatsRegister(hex: String, tracks: Bool, format: OutputFormat) throws {
    let features = try SmartReaderFeatures(bytes: try #require(Hex.decode(hex)))
    #expect(features.tracksMovements == tracks && features.networkFormat == format)
}

@Test("02A0 of the old one-byte form is refused with the vendor's layout")
func oneByteOutputFormat() {
    #expect(throws: ConfigDataError.self) { try ConfigData.parse(Data(#"{"config": {"A0": "02"}}"#.utf8), file: "f.json") }
    do {
        _ = try SmartReaderFeatures(bytes: [0x02])
        Issue.record("a one-byte 02A0 was accepted")
    } catch {
        #expect(error.description.contains("holds 5 bytes"))
    }
}

@Test(
    "02A1: byte 0 delay between readings, byte 1 before the same tag again, FF until removed (config/springpark.xml)",
    arguments: [
        ("0A1E", Duration.seconds(1), Duration?.some(.seconds(3))),
        ("0000", .zero, .some(.zero)),
        ("01FF", .milliseconds(100), nil),
    ])
func readDelays(hex: String, readInterval: Duration, repeatInterval: Duration?) throws {
    let delays = try ReadDelaysRegister(bytes: try #require(Hex.decode(hex)))
    #expect(delays.readInterval == readInterval && delays.repeatInterval == repeatInterval)
}

@Test(
    "02C0 is a bitfield: network operation in bits 6-4 (6 = MQTT client), primary profile in bits 2-0",
    arguments: [(0x64, true), (0x60, true), (0x63, true), (0x62, false), (0x14, false), (0x24, false), (0x04, false), (0xE4, false)]
        as [(UInt8, Bool)])
func profileBitfield(byte: UInt8, runs: Bool) {
    #expect(((try? ProfileRegister(byte: byte)) != nil) == runs, "02C0 = \(Hex.encode([byte]))")
}

@Test("02A6 knows the vendor's twelve layouts, 00 to 0B", arguments: Array(0...12))
func keyboardLayouts(code: Int) throws {
    let data = try ConfigData.parse(Data(#"{"config": {"A6": "\#(Hex.encode([UInt8(code)]))"}}"#.utf8), file: "f.json")
    #expect(((try? KeyboardOutput(data)) != nil) == (code <= 11))
}

/// 0288 from config/springpark.xml: the value `pki provision` writes means on a SpringPark what
/// the emulator does with it, field by field; reserved bits are kept and change nothing.
@Test(
    "0288 reads as the vendor lays it out",
    arguments: [
        (
            "370E8D4D8F", TLSOptionsRegister.ServerCheck.verifyPKI, UInt8(0x0E), UInt8(0x0D), TLSOptionsRegister.KeyStore.atecc,
            UInt8(0x0D), true, UInt8(0x0F)
        ),
        ("170E8D0D01", .verifyServer, 0x0E, 0x0D, .raw, 0x0D, false, 0x01),
        ("27F38A4A72", .verifyCA, 0x03, 0x0A, .atecc, 0x0A, false, 0x02),
    ])
func tlsOptionsLayout(
    hex: String, check: TLSOptionsRegister.ServerCheck, serverSlot: UInt8, certificateSlot: UInt8, store: TLSOptionsRegister.KeyStore,
    keySlot: UInt8, chains: Bool, caSlot: UInt8
) throws {
    let bytes = try #require(Hex.decode(hex))
    let tls = try #require(TLSOptionsRegister(bytes: bytes))
    #expect(tls.serverCheck == check && tls.serverCASlot == serverSlot && tls.clientCertificateSlot == certificateSlot)
    #expect(tls.clientKeyStore == store && tls.clientKeySlot == keySlot && tls.sendClientCA == chains && tls.clientCASlot == caSlot)
    #expect(tls.bytes == bytes, "written back as read, reserved bits included")
}

@Test(
    "0288 with the client key in a reserved secure element (byte 3 bits 7-6 = 2 or 3) is refused", arguments: ["370E8D8D8F", "370E8DCD8F"])
func reservedKeyStore(hex: String) throws {
    let data = try ConfigData.parse(Data(#"{"config": {"88": "\#(hex)"}}"#.utf8), file: "f.json")
    #expect(throws: ConfigurationError.self) { try DeviceConfiguration(data) }
}

/// META fields as SpringCard documents them: the MQTT client's Meta_topic page (PhysAddress a
/// MAC of 12 hex digits, "B0D785C01239"; Hardware the part number, EAN19217 in
/// config/springpark.xml) and Companion's DEVICE object (UniqueId, ConfigId the GUID of register
/// 0200; ConfigId, Inventory and Location only when set).
@Test("META: part number, a GUID UniqueId, ConfigId as 0200's GUID, PhysAddress without separators, empty options left out")
func metaIdentityFields() throws {
    let springPark = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory).constants
    let guid: [UInt8] = [0x6F, 0x1C, 0x2A, 0x90, 0x3B, 0x4D, 0x4E, 0x5F, 0x80, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]
    let meta = MetaMessage(
        constants: springPark, serialNumber: "DA1275B0", configID: MetaMessage.configID(from: guid), inventory: "", location: "",
        physicalAddress: "B0D785C01239", ipAddress: "", outputFormat: .json, open: false)
    #expect(
        meta.json
            == #"{"VendorName":"SpringCard","ProductName":"SpringPark","SerialNumber":"DA1275B0","Version":"1.23","Firmware":"SpringCore/E518/SpringPark","Revision":"1.23-11-g30998598","Hardware":"EAN19217","UniqueId":"00019217-0000-8000-8000-0000DA1275B0","ConfigId":"6F1C2A90-3B4D-4E5F-8011-223344556677","Open":false,"PhysAddress":"B0D785C01239","Protocol":"RDR/JSON","Interfaces":"13.56"}"#
    )
    #expect(MetaMessage.configID(from: Array("v2".utf8)) == "v2", "a label written as text stays text")
    #expect(UUID(uuidString: meta.uniqueID) != nil, "UniqueId parses as a GUID")
    #expect(springPark.hardware == "EAN19217", "config/springpark.xml hardware=\"EAN19217\"")
}

@Test("PhysAddress: no hardware address behind the loopback, so the serial's locally administered one")
func loopbackHasNoHardwareAddress() {
    #expect(InterfaceHardwareAddress.of(ipAddress: "127.0.0.1") == nil)
    #expect(InterfaceHardwareAddress.of(ipAddress: "198.51.100.77") == nil, "TEST-NET-2: held by no interface here")
}

@Test("PhysAddress: the MAC of the interface holding the address, as Linux lists it in /sys/class/net, without separators")
func interfaceHardwareAddress() throws {
    let interfaces = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/class/net")) ?? []
    var checked = 0
    for name in interfaces where name != "lo" {
        guard let mac = try? String(contentsOfFile: "/sys/class/net/\(name)/address", encoding: .utf8) else { continue }
        let expected = mac.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ":", with: "").uppercased()
        guard expected.count == 12, expected != "000000000000", let address = ipv4Address(of: name) else { continue }
        #expect(InterfaceHardwareAddress.of(ipAddress: address) == expected, "\(name) \(address)")
        checked += 1
    }
    if checked == 0 { print("no interface with an IPv4 address and a MAC: nothing to compare") }
}

/// The interface's first IPv4 address, as `ip -o -4 addr show dev NAME` prints it.
private func ipv4Address(of interface: String) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
    process.arguments = ["-o", "-4", "addr", "show", "dev", interface]
    let pipe = Pipe()
    process.standardOutput = pipe
    guard (try? process.run()) != nil else { return nil }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let words = output.split(separator: " ")
    guard let index = words.firstIndex(of: "inet"), index + 1 < words.count else { return nil }
    return words[index + 1].split(separator: "/").first.map(String.init)
}

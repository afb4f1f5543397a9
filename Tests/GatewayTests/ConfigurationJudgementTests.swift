import DeviceIdentity
import Foundation
import Logging
import SpringCore
import TestSupport
import Testing

@testable import Gateway

private let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

private func provisioned(_ name: String = #function) throws -> DeviceStateDirectory {
    let root = temporaryDirectory(name)
    let pki = try DevelopmentPKI.create(at: root + "/pki")
    let state = DeviceStateDirectory(path: root + "/device")
    try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
        .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "broker.example", port: 18883))
    return state
}

/// The provisioned config.json with `change` written in its config section, in place of the register
/// `replacing`: a whole file, as a push restoring the defaults sends it.
private func wholeFile(_ state: DeviceStateDirectory, _ change: String, replacing number: UInt8?) throws -> [UInt8] {
    var file = try state.loadCurrentFile()
    if let number { file.registers[.configuration(number)] = nil }
    let text = String(decoding: file.serialized(), as: UTF8.self)
    #expect(text.contains(#""config": {"#) && text.hasPrefix("{"))
    // A section of its own (templates) goes first in the file; a register, first in the config section.
    if change.hasPrefix(#""templates""#) { return Array(("{" + change + "," + text.dropFirst()).utf8) }
    return Array(text.replacingOccurrences(of: #""config": {"#, with: #""config": {"# + change + ",").utf8)
}

private func refusal(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

/// What the push judgement and `config validate` (the file over the profile's factory defaults)
/// say of the same bad file: one judgement, the same refusal.
@Test(
    "validate and every push refuse the same files with the same words",
    arguments: [
        (#""C0": "01""#, 0xC0, "register 02C0 is 01 (network 0 disabled, profile 1 SpringProx legacy)"),
        (#""C0": "14""#, 0xC0, "register 02C0 is 14 (network 1 HTTP client, profile 4 Smart Reader)"),
        (#""A0": "0003000700""#, 0xA0, "register 02A0 byte 3 (network output format) is 7 (legacy IWM2)"),
        (#""A0": "E003000200""#, 0xA0, "register 02A0 sets bits the vendor reserves (byte 0: E0"),
        (#""A0": "0003001200""#, 0xA0, "register 02A0 sets bits the vendor reserves (byte 3: 10"),
        (#""templates": {"10": "FF", "11": "0100", "13": "0400"}"#, nil, "register 0313 suppresses 4 bytes and 0 bits"),
        (#""templates": {"20": "FF", "21": "0500", "23": "0700"}"#, nil, "register 0323 suppresses 7 bytes and 0 bits"),
        (#""templates": {"10": "01", "11": "07"}"#, nil, "register 0311 uses length and format code 0111"),
        (#""88": "0000000000""#, 0x88, "register 0288 turns TLS off"),
        (#""88": "070E8D0D01""#, 0x88, "accept any broker certificate"),
        (#""88": "330E8D0D01""#, 0x88, "register 0288 turns the broker name check off"),
        (#""88": "170E8D4D8F""#, 0x88, "register 0288 asks to verify the broker's own certificate"),
        (#""88": "570E8D4D8F""#, 0x88, "register 0288 asks to verify the broker's own certificate"),
        (#""88": "270E8D4D8F""#, 0x88, "register 0288 asks to verify the broker's certificate against its CA without chaining"),
        (#""88": "350E8D4D8F""#, 0x88, "register 0288 turns SNI off"),
        (#""88": "3F0E8D4D8F""#, 0x88, "register 0288 sets bits the vendor reserves (byte 0: 08"),
        (#""88": "370E8D4D9F""#, 0x88, "register 0288 sets bits the vendor reserves (byte 4: 10"),
        (#""8E.s": "site/+""#, 0x8E, "register 028E (topic prefix) holds the wildcard \"+\""),
        (#""8F.s": "gate/3""#, 0x8F, "register 028F (Device ID) holds \"/\""),
        (##""8F.s": "#""##, 0x8F, "register 028F (Device ID) holds the wildcard \"#\""),
        (#""0286.s": "other.example""#, nil, "register 0286 is set twice"),
        (#""86.s": """#, 0x86, "register 0286 is empty"),
    ] as [(String, UInt8?, String)])
func sameRefusalEverywhere(change: String, replacing: UInt8?, expected: String) throws {
    let state = try provisioned()
    let content = try wholeFile(state, change, replacing: replacing)
    let store = ConfigurationStore(state: state, options: DeviceRunOptions())
    let pushed = refusal {
        _ = try store.judge(ConfigurationPush(content: content, source: "push.json"), running: try state.loadCurrentFile(), logger: quiet)
    }
    let defaults = try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory).defaults
    let validated = refusal {
        let file = try ConfigData.parse(Data(content), file: "push.json")
        _ = try ConfigurationJudgement(options: DeviceRunOptions()).judgeRegisters(defaults.merging(file), source: "push.json")
    }
    #expect(pushed?.contains(expected) == true, "push: \(pushed ?? "accepted")")
    #expect(validated?.contains(expected) == true, "validate: \(validated ?? "accepted")")
    #expect(pushed == validated, "the same words from both")
}

@Test("--insecure lets TLS off through every judgement alike, and the state directory's checks still run")
func insecureAlike() throws {
    let state = try provisioned()
    var file = try state.loadCurrentFile()
    file[.tlsOptions] = [0, 0, 0, 0, 0]
    let insecure = ConfigurationJudgement(options: DeviceRunOptions(insecure: true))
    #expect(try insecure.judge(file, source: "f", state: state, logger: quiet).tls.enabled == false)
    let secure = refusal {
        _ = try ConfigurationJudgement(options: DeviceRunOptions()).judge(file, source: "f", state: state, logger: quiet)
    }
    #expect(secure == GatewayError.plaintextRefused.description)
    // What needs the state directory: a client ID that is not the certificate's CN.
    var other = try state.loadCurrentFile()
    other.setString(.clientID, "SOMEONE")
    let judged = refusal { _ = try insecure.judge(other, source: "f", state: state, logger: quiet) }
    #expect(judged?.contains("client ID mismatch") == true, "\(judged ?? "accepted")")
    #expect(throws: Never.self) { try insecure.judgeRegisters(try state.effectiveConfiguration(other), source: "f") }
}

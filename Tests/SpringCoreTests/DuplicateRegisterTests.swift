import Foundation
import Testing

@testable import SpringCore

@Test(
    "one register under two spellings in a section is refused, naming both keys, rather than the last silently winning",
    arguments: [
        (#"{"config": {"86.s": "a", "0286.s": "b"}}"#, RegisterAddress.broker, ["86.s", "0286.s"]),
        (#"{"config": {"86": "61", "86.h": "62"}}"#, .broker, ["86", "86.h"]),
        (#"{"config": {"0289": "5314030A1E1E", "89": "5314030A1E1E"}}"#, .clientOptions, ["0289", "89"]),
        (#"{"config": {"8E.s": "a", "8e.64": "Yg=="}}"#, .topicPrefix, ["8E.s", "8e.64"]),
        (#"{"templates": {"11": "0F", "0311": "01"}}"#, RegisterAddress(bank: 3, number: 0x11), ["11", "0311"]),
    ])
func duplicateRegister(file: String, register: RegisterAddress, keys: [String]) {
    #expect(throws: ConfigDataError.duplicateRegister(file: "f.json", register: register, keys: keys)) {
        try ConfigData.parse(Data(file.utf8), file: "f.json")
    }
    let message = ConfigDataError.duplicateRegister(file: "f.json", register: register, keys: keys).description
    #expect(message.contains("register \(register)") && keys.allSatisfy { message.contains("\"\($0)\"") }, "\(message)")
}

@Test("the same low byte in two banks is two registers")
func sameNumberOtherBank() throws {
    let data = try ConfigData.parse(Data(#"{"constants": {"11": "01"}, "templates": {"11": "0F"}}"#.utf8), file: "f.json")
    #expect(data.registers.count == 2)
}

@Test("an empty key or a trailing dot is not a register address, and never traps")
func emptyKeys() {
    #expect(throws: ConfigDataError.badAddress(file: "f.json", key: "")) {
        try ConfigData.parse(Data(#"{"config": {"": "00"}}"#.utf8), file: "f.json")
    }
    #expect(throws: ConfigDataError.badFormat(file: "f.json", key: "86.")) {
        try ConfigData.parse(Data(#"{"config": {"86.": "00"}}"#.utf8), file: "f.json")
    }
}

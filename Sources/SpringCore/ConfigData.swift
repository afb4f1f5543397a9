import Foundation

/// How a value is written in a CONFIG-DATA file: the suffix after the address (`"86.s"`).
public enum ValueFormat: String, Sendable, CaseIterable {
    case hex = "h", string = "s", integer = "i", boolean = "b", base64 = "64"
}

/// A CONFIG-DATA JSON file as SpringCoreConfig reads it: register values keyed by address, each
/// remembered with the format it was written in so saving gives back what was loaded. Sections
/// the emulator does not model are kept verbatim.
public struct ConfigData: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var bytes: [UInt8]
        public var format: ValueFormat

        public init(bytes: [UInt8], format: ValueFormat = .hex) {
            self.bytes = bytes
            self.format = format
        }
    }

    public var registers: [RegisterAddress: Entry] = [:]
    public var otherSections: [String: JSONValue] = [:]

    public init(registers: [RegisterAddress: Entry] = [:]) { self.registers = registers }

    /// Sections whose entries are registers, with the bank their low-byte addresses belong to.
    static let registerSections: [String: UInt8] = ["constants": 0x01, "config": 0x02, "templates": 0x03]

    public subscript(_ address: RegisterAddress) -> [UInt8]? {
        get { registers[address]?.bytes }
        set { registers[address] = newValue.map { Entry(bytes: $0, format: registers[address]?.format ?? .hex) } }
    }

    public func string(_ address: RegisterAddress) -> String {
        String(decoding: registers[address]?.bytes ?? [], as: UTF8.self)
    }

    public mutating func setString(_ address: RegisterAddress, _ value: String) {
        registers[address] = Entry(bytes: Array(value.utf8), format: .string)
    }

    /// Registers the file sets that the emulator keeps but does not act on, in address order.
    public var notEmulatedRegisters: [RegisterAddress] {
        registers.keys.filter { !RegisterLayout.isEmulated($0) }.sorted()
    }

    /// Sections kept verbatim because the emulator does not model them.
    public var notEmulatedSections: [String] { otherSections.keys.sorted() }

    /// Registers from `other` replace this file's; unmodelled sections merge key by key.
    public func merging(_ other: ConfigData) -> ConfigData {
        var merged = self
        merged.registers.merge(other.registers) { _, new in new }
        merged.otherSections.merge(other.otherSections) { _, new in new }
        return merged
    }

    public static func load(contentsOf path: String) throws(ConfigDataError) -> ConfigData {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(file: path) }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(ConfigDataError) -> ConfigData {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .syntax(file: file, detail: JSONValue.describe(error, in: data))
        }
        guard case .object(let sections) = root else { throw .notAnObject(file: file, section: nil) }
        var result = ConfigData()
        for (name, value) in sections {
            guard let bank = registerSections[name] else {
                result.otherSections[name] = value
                continue
            }
            guard case .object(let entries) = value else { throw .notAnObject(file: file, section: name) }
            for (key, raw) in entries {
                let (address, entry) = try parseEntry(key: key, value: raw, bank: bank, file: file)
                result.registers[address] = entry
            }
        }
        return result
    }

    private static func parseEntry(key: String, value: JSONValue, bank: UInt8, file: String) throws(ConfigDataError) -> (
        RegisterAddress, Entry
    ) {
        let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
        guard let addressBytes = Hex.decode(parts[0]), addressBytes.count == 1 || addressBytes.count == 2 else {
            throw .badAddress(file: file, key: key)
        }
        if addressBytes.count == 2 && addressBytes[0] != bank { throw .badAddress(file: file, key: key) }
        let address = RegisterAddress(bank: bank, number: addressBytes.last!)
        let format: ValueFormat
        if parts.count == 2 {
            guard let parsed = ValueFormat(rawValue: parts[1]) else { throw .badFormat(file: file, key: key) }
            format = parsed
        } else {
            format = .hex
        }
        let bytes = try decodeValue(value, format: format, file: file, register: address)
        if let size = RegisterLayout.size(of: address), !bytes.isEmpty {
            switch size {
            case .exactly(let n) where bytes.count != n:
                throw .badValue(file: file, register: address, reason: "holds \(n) bytes, got \(bytes.count)")
            case .atMost(let n) where bytes.count > n:
                throw .badValue(file: file, register: address, reason: "holds at most \(n) bytes, got \(bytes.count)")
            default: break
            }
        }
        return (address, Entry(bytes: bytes, format: format))
    }

    private static func decodeValue(_ value: JSONValue, format: ValueFormat, file: String, register: RegisterAddress)
        throws(ConfigDataError) -> [UInt8]
    {
        switch (format, value) {
        case (.hex, .string(let text)):
            guard let bytes = Hex.decode(text) else {
                throw .badValue(file: file, register: register, reason: "\"\(text)\" is not an even number of hex digits")
            }
            return bytes
        case (.string, .string(let text)):
            return Array(text.utf8)
        case (.base64, .string(let text)):
            guard let data = Data(base64Encoded: text) else {
                throw .badValue(file: file, register: register, reason: "\"\(text)\" is not base64")
            }
            return Array(data)
        case (.integer, .number(let number)):
            guard number >= 0, number <= Double(UInt32.max), number == number.rounded() else {
                throw .badValue(file: file, register: register, reason: "\(number) is not an integer from 0 to 4294967295")
            }
            return integerBytes(UInt32(number))
        case (.integer, .string(let text)):
            guard let number = UInt32(text) else {
                throw .badValue(file: file, register: register, reason: "\"\(text)\" is not an integer from 0 to 4294967295")
            }
            return integerBytes(number)
        case (.boolean, .bool(let flag)):
            return [flag ? 1 : 0]
        default:
            throw .badValue(
                file: file, register: register,
                reason: "a .\(format.rawValue) value must be a \(format == .integer ? "number" : format == .boolean ? "boolean" : "string")"
            )
        }
    }

    /// Integers are stored big-endian in as few bytes as they need.
    private static func integerBytes(_ value: UInt32) -> [UInt8] {
        let all = withUnsafeBytes(of: value.bigEndian, Array.init)
        return Array(all.drop { $0 == 0 }).ifEmpty([0])
    }

    /// The file's JSON: sections in a fixed order, entries by address, each in the format it
    /// was read in.
    public func serialized() -> Data {
        var root: [String: JSONValue] = otherSections
        for (name, bank) in Self.registerSections {
            let entries = registers.filter { $0.key.bank == bank }
            guard !entries.isEmpty else { continue }
            var section: [String: JSONValue] = [:]
            for (address, entry) in entries {
                let key = Hex.encode([address.number]) + (entry.format == .hex ? "" : "." + entry.format.rawValue)
                section[key] = entry.jsonValue
            }
            root[name] = .object(section)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(JSONValue.object(root))) ?? Data("{}".utf8)
    }
}

extension ConfigData.Entry {
    var jsonValue: JSONValue {
        switch format {
        case .hex: .string(Hex.encode(bytes))
        case .string: .string(String(decoding: bytes, as: UTF8.self))
        case .base64: .string(Data(bytes).base64EncodedString())
        case .integer: .number(Double(bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }))
        case .boolean: .bool(bytes.first.map { $0 != 0 } ?? false)
        }
    }
}

extension Array {
    func ifEmpty(_ replacement: [Element]) -> [Element] { isEmpty ? replacement : self }
}

public enum ConfigDataError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(file: String)
    case syntax(file: String, detail: String)
    case notAnObject(file: String, section: String?)
    case badAddress(file: String, key: String)
    case badFormat(file: String, key: String)
    case badValue(file: String, register: RegisterAddress, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let file):
            "\(file): cannot be read; check the path and its permissions"
        case .syntax(let file, let detail):
            "\(file): not valid JSON: \(detail)"
        case .notAnObject(let file, let section):
            "\(file): \(section.map { "section \"\($0)\"" } ?? "the top level") must be a JSON object"
        case .badAddress(let file, let key):
            "\(file): \"\(key)\" is not a register address (one hex byte, e.g. \"89\", or bank and register, e.g. \"0289\")"
        case .badFormat(let file, let key):
            "\(file): \"\(key)\" has an unknown format modifier; use .s, .i, .b, .64 or .h"
        case .badValue(let file, let register, let reason):
            "\(file): register \(register) \(reason)"
        }
    }
}

import Foundation
import HostSystem

/// How a value is written in a CONFIG-DATA file: the suffix after the address (`"86.s"`).
public enum ValueFormat: String, Sendable, CaseIterable {
    case hex = "h", string = "s", integer = "i", boolean = "b", base64 = "64"
}

/// A CONFIG-DATA JSON file as SpringCoreConfig reads it: register values keyed by address, each
/// remembered with the format it was written in, and the order and spelling of sections and
/// addresses, so saving gives back what was loaded. Sections the emulator does not model are
/// kept verbatim.
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
    public var otherSections = JSONObject()
    /// Where the file put things; registers and sections it did not name go after, in address order.
    private var sectionOrder: [String] = []
    private var registerOrder: [RegisterAddress] = []
    /// Addresses written in full ("0286") rather than by low byte ("86").
    private var fullAddresses: Set<RegisterAddress> = []

    public init(registers: [RegisterAddress: Entry] = [:]) { self.registers = registers }

    /// Two configurations are equal when they hold the same values, however their files are laid out.
    public static func == (lhs: ConfigData, rhs: ConfigData) -> Bool {
        lhs.registers == rhs.registers && lhs.otherSections == rhs.otherSections
    }

    /// Sections whose entries are registers, with the bank their low-byte addresses belong to.
    /// In the order a new file lists them.
    static let registerSections: [(name: String, bank: UInt8)] = [("constants", 0x01), ("config", 0x02), ("templates", 0x03)]

    static func bank(ofSection name: String) -> UInt8? { registerSections.first { $0.name == name }?.bank }

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
    public var notEmulatedSections: [String] { otherSections.keys.filter { $0 != DeviceConfiguration.emulatorSection } }

    /// Registers from `other` replace this file's; unmodelled sections merge key by key.
    public func merging(_ other: ConfigData) -> ConfigData {
        var merged = self
        merged.registers.merge(other.registers) { _, new in new }
        for member in other.otherSections.members { merged.otherSections[member.key] = member.value }
        merged.sectionOrder += other.sectionOrder.filter { !merged.sectionOrder.contains($0) }
        merged.registerOrder += other.registerOrder.filter { !merged.registerOrder.contains($0) }
        merged.fullAddresses.formUnion(other.fullAddresses)
        return merged
    }

    /// The most a CONFIG-DATA file may hold, on every way in (file, inbox, control socket,
    /// `cfg/set`): a real file is a few KiB. Half of the MQTT client's 1 MiB packet limit, so a
    /// file at the limit still arrives whole on `cfg/set`.
    public static let maximumFileSize = 512 * 1024

    /// Reads a regular file only (see `RegularFile`); `followingSymbolicLinks` for a path a
    /// person named, never for the daemon's own files.
    public static func load(contentsOf path: String, followingSymbolicLinks: Bool = false) throws(ConfigDataError) -> ConfigData {
        try parse(Data(read(path, followingSymbolicLinks: followingSymbolicLinks)), file: path)
    }

    /// A CONFIG-DATA file's bytes, unparsed (a push hands them on to be judged where it lands).
    public static func read(_ path: String, followingSymbolicLinks: Bool = false) throws(ConfigDataError) -> [UInt8] {
        do {
            return try RegularFile.read(path, maximumSize: maximumFileSize, followingSymbolicLinks: followingSymbolicLinks)
        } catch {
            switch error {
            case .missing: throw .missing(file: path)
            case .tooLarge(_, let size, _): throw .tooLarge(file: path, size: size)
            default: throw .unreadable(file: path, reason: error.description)
            }
        }
    }

    public static func parse(_ data: Data, file: String) throws(ConfigDataError) -> ConfigData {
        guard data.count <= maximumFileSize else { throw .tooLarge(file: file, size: data.count) }
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch {
            throw .syntax(file: file, detail: error.description)
        }
        return try ConfigData(json: root, file: file)
    }

    /// Reads a file's JSON, already parsed (a device profile embeds one as its defaults).
    public init(json root: JSONValue, file: String) throws(ConfigDataError) {
        guard case .object(let sections) = root else { throw .notAnObject(file: file, section: nil) }
        for member in sections.members {
            sectionOrder.append(member.key)
            guard let bank = Self.bank(ofSection: member.key) else {
                otherSections[member.key] = member.value
                continue
            }
            guard case .object(let entries) = member.value else { throw .notAnObject(file: file, section: member.key) }
            // "86.s" and "0286" are one register: JSON's duplicate-key rule cannot see that.
            var keys: [RegisterAddress: String] = [:]
            for entry in entries.members {
                let (address, parsed, full) = try Self.parseEntry(key: entry.key, value: entry.value, bank: bank, file: file)
                if let first = keys[address] {
                    throw .duplicateRegister(file: file, register: address, keys: [first, entry.key])
                }
                keys[address] = entry.key
                registers[address] = parsed
                registerOrder.append(address)
                if full { fullAddresses.insert(address) }
            }
        }
    }

    private static func parseEntry(key: String, value: JSONValue, bank: UInt8, file: String) throws(ConfigDataError) -> (
        RegisterAddress, Entry, writtenInFull: Bool
    ) {
        let parts = key.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
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
        if let size = RegisterLayout.checkedSize(of: address), !bytes.isEmpty {
            switch size {
            case .exactly(let n) where bytes.count != n:
                throw .badValue(file: file, register: address, reason: "holds \(n) bytes, got \(bytes.count)")
            case .atMost(let n) where bytes.count > n:
                throw .badValue(file: file, register: address, reason: "holds at most \(n) bytes, got \(bytes.count)")
            default: break
            }
        }
        return (address, Entry(bytes: bytes, format: format), addressBytes.count == 2)
    }

    private static func decodeValue(_ value: JSONValue, format: ValueFormat, file: String, register: RegisterAddress)
        throws(ConfigDataError) -> [UInt8]
    {
        switch (format, value) {
        case (.hex, .string(let text)):
            guard let bytes = Hex.decode(text) else {
                throw .badValue(file: file, register: register, reason: "\(QuotedToken.quote(text)) is not an even number of hex digits")
            }
            return bytes
        case (.string, .string(let text)):
            return Array(text.utf8)
        case (.base64, .string(let text)):
            guard let data = Data(base64Encoded: text) else {
                throw .badValue(file: file, register: register, reason: "\(QuotedToken.quote(text)) is not base64")
            }
            return Array(data)
        case (.integer, .number(let number)):
            guard number >= 0, number <= Double(UInt32.max), number == number.rounded() else {
                throw .badValue(file: file, register: register, reason: "\(number) is not an integer from 0 to 4294967295")
            }
            return integerBytes(UInt32(number))
        case (.integer, .string(let text)):
            guard let number = UInt32(text) else {
                throw .badValue(file: file, register: register, reason: "\(QuotedToken.quote(text)) is not an integer from 0 to 4294967295")
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

    /// The file's JSON: sections and entries where the loaded file had them (new ones after, by
    /// address), each value in the format it was read in.
    public func serialized() -> Data {
        var root = JSONObject()
        for name in sectionOrder + Self.registerSections.map(\.name) where root[name] == nil {
            if let bank = Self.bank(ofSection: name) {
                let present = registers.keys.filter { $0.bank == bank }
                guard !present.isEmpty else { continue }
                let ordered = registerOrder.filter { $0.bank == bank && registers[$0] != nil }
                var section = JSONObject()
                for address in ordered + present.filter({ !ordered.contains($0) }).sorted() {
                    let entry = registers[address]!
                    let number =
                        fullAddresses.contains(address) ? Hex.encode([address.bank, address.number]) : Hex.encode([address.number])
                    section[number + (entry.format == .hex ? "" : "." + entry.format.rawValue)] = entry.jsonValue
                }
                root[name] = .object(section)
            } else if let value = otherSections[name] {
                root[name] = value
            }
        }
        for member in otherSections.members where root[member.key] == nil { root[member.key] = member.value }
        return Data(JSONValue.object(root).prettyPrinted())
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
    case missing(file: String)
    case unreadable(file: String, reason: String)
    case tooLarge(file: String, size: Int)
    case syntax(file: String, detail: String)
    case notAnObject(file: String, section: String?)
    case badAddress(file: String, key: String)
    case badFormat(file: String, key: String)
    case badValue(file: String, register: RegisterAddress, reason: String)
    case duplicateRegister(file: String, register: RegisterAddress, keys: [String])

    public var description: String {
        switch self {
        case .missing(let file):
            "\(file): no such file; check the path"
        case .unreadable(_, let reason):
            reason
        case .tooLarge(let file, let size):
            "\(file): \(size) bytes or more, larger than a CONFIG-DATA file may be (\(ConfigData.maximumFileSize) bytes, "
                + "\(ConfigData.maximumFileSize / 1024) KiB; a real one is a few KiB); split it or remove what the device does not need"
        case .syntax(let file, let detail):
            "\(file): not valid JSON: \(detail)"
        case .notAnObject(let file, let section):
            "\(file): \(section.map { "section \"\($0)\"" } ?? "the top level") must be a JSON object"
        case .badAddress(let file, let key):
            "\(file): \(QuotedToken.quote(key)) is not a register address (one hex byte, e.g. \"89\", or bank and register, e.g. \"0289\")"
        case .badFormat(let file, let key):
            "\(file): \(QuotedToken.quote(key)) has an unknown format modifier; use .s, .i, .b, .64 or .h"
        case .badValue(let file, let register, let reason):
            "\(file): register \(register) \(reason)"
        case .duplicateRegister(let file, let register, let keys):
            "\(file): register \(register) is set twice, as \(keys.map { QuotedToken.quote($0) }.joined(separator: " and ")); "
                + "keep one of them"
        }
    }
}

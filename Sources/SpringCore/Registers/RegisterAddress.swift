/// A register: bank (01 constants, 02 configuration, 03 templates, 04 statistics) and number,
/// written `0289` in the vendor's documents.
public struct RegisterAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bank: UInt8
    public let number: UInt8

    public init(bank: UInt8, number: UInt8) {
        self.bank = bank
        self.number = number
    }

    public static func configuration(_ number: UInt8) -> RegisterAddress { RegisterAddress(bank: 0x02, number: number) }

    public static func < (lhs: RegisterAddress, rhs: RegisterAddress) -> Bool {
        (lhs.bank, lhs.number) < (rhs.bank, rhs.number)
    }

    public var description: String { Hex.encode([bank, number]) }

    public static let configID = configuration(0x00)
    public static let inventory = configuration(0x01)
    public static let location = configuration(0x02)
    public static let networkPorts = configuration(0x85)
    public static let broker = configuration(0x86)
    public static let tlsOptions = configuration(0x88)
    public static let clientOptions = configuration(0x89)
    public static let login = configuration(0x8B)
    public static let password = configuration(0x8C)
    public static let clientID = configuration(0x8D)
    public static let topicPrefix = configuration(0x8E)
    public static let deviceID = configuration(0x8F)
    public static let outputFormats = configuration(0xA0)
    public static let readDelays = configuration(0xA1)
    public static let keyboardLayout = configuration(0xA6)
    public static let keyboardPrefix = configuration(0xA8)
    public static let keyboardSuffix = configuration(0xA9)
    public static let mode = configuration(0xC0)
}

/// The size rules for registers the emulator acts on; a value breaking them is refused with the
/// register named, before any of the file is applied. Sizes are SpringCard's, from the register
/// map in springcard/springcore-xmlfiles (config/springpark.xml for bank 02; xmls/springcore-
/// individuals.xml for 0201/0202, 16 bytes; 0200 holds the configuration's GUID, 16 bytes;
/// xmls/springcore-nfc-templates.xml for bank 03).
public enum RegisterLayout {
    public enum Size: Sendable, Equatable {
        case exactly(Int)
        case atMost(Int)
    }

    /// Registers whose values change what the emulator does; others are kept and reported.
    public static func isEmulated(_ address: RegisterAddress) -> Bool { size(of: address) != nil }

    public static func size(of address: RegisterAddress) -> Size? {
        switch address {
        case .configID, .inventory, .location: .atMost(16)
        case .networkPorts: .exactly(14)
        case .broker: .atMost(48)
        case .tlsOptions: .exactly(5)
        case .clientOptions: .exactly(6)
        case .login, .password: .atMost(16)
        case .clientID, .deviceID: .atMost(24)
        case .topicPrefix: .atMost(32)
        case .outputFormats: .exactly(5)
        case .mode, .keyboardLayout: .exactly(1)
        case .readDelays: .exactly(2)
        case .keyboardPrefix, .keyboardSuffix: .atMost(8)
        case let address where address.bank == 0x03 && (1...4).contains(address.number >> 4): templateSize(address.number & 0x0F)
        default: nil
        }
    }

    /// The size a value may take: the emulated registers', and those kept without being acted on
    /// whose size the vendor gives (03t2, the template's prefix, at most 8 bytes; 03t4, its
    /// options, 1 byte: xmls/springcore-nfc-templates.xml, `id_only`), so that a file a device
    /// would refuse is not kept here.
    public static func checkedSize(of address: RegisterAddress) -> Size? {
        if let size = size(of: address) { return size }
        guard address.bank == 0x03 && (1...4).contains(address.number >> 4) else { return nil }
        switch address.number & 0x0F {
        case 2: return .atMost(8)
        case 4: return .atMost(1)
        default: return nil
        }
    }

    /// Template registers the emulator reads (xmls/springcore-nfc-templates.xml, ID Only):
    /// 03t0 the lookup byte, 03t1 output format (2 bytes), 03t3 location of data (2 bytes).
    static func templateSize(_ index: UInt8) -> Size? {
        switch index {
        case 0: .atMost(1)
        case 1, 3: .atMost(2)
        default: nil
        }
    }
}

/// What a tag event is sent as on the network link (register 02A0 byte 3 bits 2-0).
public enum OutputFormat: UInt8, Sendable {
    case scrdr = 0x01
    case json = 0x02

    public var protocolName: String {
        switch self {
        case .scrdr: "$SCRDR"
        case .json: "RDR/JSON"
        }
    }
}

/// Register 02A0, "Smart Reader features", 5 bytes, factory value `0003000200` (SpringCard's
/// register map, springcard/springcore-xmlfiles config/springpark.xml, firmware 1.23).
/// Byte 0 bit 4 chooses between one event per read and Insert/Remove tracking; byte 3 bits 2-0
/// are the network output format (0 TLV, 1 SCRDR, 2 JSON, 3 MK1, 7 legacy IWM2). Bytes 1, 2
/// and 4 are the serial, Bluetooth and USB links, which the emulator does not have: kept as written.
/// Bits the map reserves (rfu0) are refused, as in 02C0 and 0288.
public struct SmartReaderFeatures: Sendable, Equatable {
    public static let factoryDefault: [UInt8] = [0x00, 0x03, 0x00, 0x02, 0x00]

    /// Byte 0 bit 4: Insert when a tag arrives and Remove when it leaves; clear, one event per read.
    public var tracksMovements: Bool
    public var networkFormat: OutputFormat

    public init(bytes: [UInt8]) throws(ConfigurationError) {
        let value = bytes.isEmpty ? Self.factoryDefault : bytes
        guard value.count == Self.factoryDefault.count else {
            throw .badRegister(
                .outputFormats, reason: "holds 5 bytes (features, serial, Bluetooth, network and USB formats), got \(value.count)")
        }
        if let byte = zip(value, Self.reservedMasks).map({ $0 & $1 }).firstIndex(where: { $0 != 0 }) {
            throw .badRegister(
                .outputFormats,
                reason: "sets bits the vendor reserves (byte \(byte): \(Hex.encode([value[byte] & Self.reservedMasks[byte]])), rfu0 in "
                    + "config/springpark.xml); clear them, e.g. 0003000200 (the factory value)")
        }
        tracksMovements = value[0] & 0x10 != 0
        let code = value[3] & 0x07
        guard let format = OutputFormat(rawValue: code) else {
            let name = Self.formatNames[Int(code)] ?? "reserved"
            throw .badRegister(
                .outputFormats,
                reason: "byte 3 (network output format) is \(code) (\(name)), which the emulator does not send over MQTT; "
                    + "use 2 (JSON, e.g. 0003000200) or 1 ($SCRDR, 0003000100)")
        }
        networkFormat = format
    }

    /// The map's rfu0 bits, byte by byte: byte 0 bits 7-5 and 3-2, the high bits of each link's format.
    static let reservedMasks: [UInt8] = [0xEC, 0xFC, 0xFC, 0xF8, 0xFC]

    static let formatNames: [Int: String] = [0: "TLV", 1: "SCRDR", 2: "JSON", 3: "MK1", 7: "legacy IWM2"]
}

/// Register 02C0, "Profile", one byte of two fields (SpringCard's register map,
/// springcard/springcore-xmlfiles config/springpark.xml): bits 6-4 the network operation,
/// bits 2-0 the primary (USB/serial) profile; bits 7 and 3 are reserved, 0. The emulator is a
/// network Smart Reader, so it runs only as an MQTT client (6), with a primary profile under
/// which the vendor applies the Smart Reader registers (0 Direct, 3 HID keyboard, 4 Smart Reader).
public struct ProfileRegister: Sendable, Equatable {
    public static let mqttClient: UInt8 = 6
    /// What provisioning writes: MQTT client, Smart Reader over serial/CDC. The factory value is 00.
    public static let emulatedDefault: UInt8 = 0x64

    public var networkOperation: UInt8
    public var primaryProfile: UInt8

    static let networkNames = [
        "disabled", "HTTP client", "TCP server", "TCP and UDP server", "UDP server", "reserved", "MQTT client", "reserved",
    ]
    static let profileNames = [
        "SpringCore Direct", "SpringProx legacy", "CCID", "HID keyboard", "Smart Reader", "ST UHF", "mass storage", "NXP NFC Cockpit",
    ]
    static let smartReaderProfiles: Set<UInt8> = [0, 3, 4]

    public init(byte: UInt8) throws(ConfigurationError) {
        networkOperation = (byte >> 4) & 0x07
        primaryProfile = byte & 0x07
        let shown =
            "\(Hex.encode([byte])) (network \(networkOperation) \(Self.networkNames[Int(networkOperation)]), "
            + "profile \(primaryProfile) \(Self.profileNames[Int(primaryProfile)]))"
        guard byte & 0x88 == 0 else {
            throw .badRegister(.mode, reason: "is \(shown) with reserved bit 7 or 3 set; clear them, e.g. 64")
        }
        guard networkOperation != 0 else {
            throw .badRegister(
                .mode,
                reason: "is \(shown): the network is off, as a SpringPark leaves the factory, and the device would never reach "
                    + "its broker; write 64 (MQTT client, Smart Reader profile), as `pki provision` does")
        }
        guard networkOperation == Self.mqttClient else {
            throw .badRegister(
                .mode, reason: "is \(shown); only network operation 6 (MQTT client, bits 6-4) is emulated: use 64")
        }
        guard Self.smartReaderProfiles.contains(primaryProfile) else {
            throw .badRegister(
                .mode,
                reason: "is \(shown); the Smart Reader runs under profile 0, 3 or 4 (bits 2-0): use 64")
        }
    }
}

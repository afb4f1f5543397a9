/// What MQTT allows in a topic name that a client publishes to (3.1.1 and 5.0, section 4.7 and
/// 1.5.3/1.5.4), applied to the registers the device's topics are built from (028E, 028F), so a
/// configuration that would give a topic no broker accepts is refused before it runs, naming
/// the register and the character, instead of a device that never connects.
enum TopicNameRules {
    /// The first fault in `bytes` as part of a topic name, in words, or nil. `separatorsAllowed`:
    /// whether `/` may appear (the prefix spans levels; the Device ID is one level).
    /// `startsTopic`: whether these bytes begin the topic name, where `$` is the broker's.
    static func fault(in bytes: [UInt8], separatorsAllowed: Bool, startsTopic: Bool) -> String? {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return "is not valid UTF-8, which MQTT topic names must be"
        }
        for (position, scalar) in text.unicodeScalars.enumerated() {
            let character = "\(QuotedToken.quote(String(scalar))) (U+\(hex(scalar.value)), character \(position + 1))"
            switch scalar.value {
            case 0x2B, 0x23:
                return "holds the wildcard \(character); wildcards belong in subscriptions, never in a topic a device publishes to"
            case 0x2F where !separatorsAllowed:
                return "holds \(character), the topic level separator; the Device ID is one topic level"
            case 0x24 where position == 0 && startsTopic:
                return "starts with \(character); topics starting with $ are the broker's own (like $SYS)"
            case 0x00:
                return "holds \(character), which MQTT forbids in topic names"
            case 0x01..<0x20, 0x7F..<0xA0:
                return "holds the control character \(character), which brokers refuse in topic names"
            case 0xFDD0...0xFDEF,
                _ where scalar.value & 0xFFFE == 0xFFFE:
                return "holds the non-character \(character), which brokers refuse in topic names"
            default:
                continue
            }
        }
        return nil
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

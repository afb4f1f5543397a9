/// Register 03t3 ("Location of Data") of SpringCard's ID Only template
/// (xmls/springcore-nfc-templates.xml, template `id_only`, register 0003, 2 bytes, default
/// 0000): byte 0 the leading bytes to suppress, byte 1 the leading bits to suppress (0 to 7).
public struct TemplateShift: Sendable, Equatable {
    public var bytes: Int
    public var bits: Int

    public static let none = TemplateShift(bytes: 0, bits: 0)

    public init(bytes: Int, bits: Int) {
        self.bytes = bytes
        self.bits = bits
    }

    public init(register: [UInt8]) throws(TemplateFormatError) {
        guard register.isEmpty || register.count == 2 else { throw .shiftLength(register.count) }
        guard register.count == 2 else {
            self = .none
            return
        }
        guard register[1] <= 7 else { throw .shiftBits(register[1]) }
        self.init(bytes: Int(register[0]), bits: Int(register[1]))
    }

    /// The identifier without its leading bytes, then bits; what is left of the bits is
    /// right-aligned in whole bytes, zeros in front.
    public func apply(_ identifier: [UInt8]) -> [UInt8] {
        let kept = Array(identifier.dropFirst(bytes))
        guard bits > 0, !kept.isEmpty else { return kept }
        let remaining = kept.count * 8 - bits
        var stream = kept.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }.suffix(remaining)
        stream = Array(repeating: 0, count: (8 - remaining % 8) % 8) + stream
        return stride(from: stream.startIndex, to: stream.endIndex, by: 8).map { start in
            stream[start..<start + 8].reduce(0) { $0 << 1 | $1 }
        }
    }
}

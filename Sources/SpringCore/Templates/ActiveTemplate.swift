/// A template enabled by its 03t0, with the registers that shape the TagId it writes. A tag is
/// written by the first of templates 1 to 4 that serves its protocol, and that number is the
/// event's `Template`; a tag no template serves goes out as read, with `Template` 0.
public struct ActiveTemplate: Sendable, Equatable {
    public var number: Int
    public var lookup: TemplateLookup
    public var format: TemplateOutputFormat
    public var shift: TemplateShift

    public init(number: Int, lookup: TemplateLookup, format: TemplateOutputFormat, shift: TemplateShift = .none) {
        self.number = number
        self.lookup = lookup
        self.format = format
        self.shift = shift
    }

    /// Register 03t`index` (0 lookup, 1 output format, 3 location of data) of template `template`.
    public static func register(_ index: UInt8, of template: Int) -> RegisterAddress {
        RegisterAddress(bank: 0x03, number: UInt8(template << 4) | index)
    }

    /// The enabled templates, in order; an error naming the register when one is set badly. A
    /// disabled template's other registers are kept but not read, as on the device.
    public static func enabled(in data: ConfigData) throws(ConfigurationError) -> [ActiveTemplate] {
        var templates: [ActiveTemplate] = []
        for number in 1...4 {
            var current = register(0, of: number)
            do throws(TemplateFormatError) {
                guard let lookup = try TemplateLookup(bytes: data[current] ?? []) else { continue }
                current = register(1, of: number)
                // An absent 03t1 is the vendor's default 0000: decimal, 10 digits.
                let format = try TemplateOutputFormat(bytes: data[current].flatMap { $0.isEmpty ? nil : $0 } ?? [0x00, 0x00])
                current = register(3, of: number)
                let shift = try TemplateShift(register: data[current] ?? [])
                // The vendor's TagId is "always" there: a shift that leaves nothing of an ID of the
                // format's own length would send only padding. A variable format is checked per tag (render).
                if let length = format.layout.byteCount, shift.bytes * 8 + shift.bits >= length * 8 {
                    throw TemplateFormatError.shiftLeavesNothing(bytes: shift.bytes, bits: shift.bits, length: length)
                }
                templates.append(ActiveTemplate(number: number, lookup: lookup, format: format, shift: shift))
            } catch {
                throw .badRegister(current, reason: error.description)
            }
        }
        return templates
    }

    /// The identifier as this template writes it: swapped, shifted, then cut or padded and written;
    /// nil when the shift (03t3) leaves nothing of this ID in a variable-length format, which
    /// would be an empty TagId.
    public func render(tagID: [UInt8], protocolName: String) -> String? {
        let shifted = shift.apply(format.swapped(tagID, protocolName: protocolName))
        guard !shifted.isEmpty || format.layout.byteCount != nil else { return nil }
        return format.write(shifted)
    }
}

extension [ActiveTemplate] {
    /// The template that writes a tag read with this protocol, nil when none serves it.
    public func serving(protocolName: String) -> ActiveTemplate? {
        first { $0.lookup.serves(protocolName: protocolName) }
    }
}

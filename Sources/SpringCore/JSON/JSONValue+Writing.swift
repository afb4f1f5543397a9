extension JSONValue {
    /// The value as indented JSON (two spaces a level), members in their stored order.
    public func prettyPrinted() -> [UInt8] {
        var output: [UInt8] = []
        write(to: &output, indent: 0)
        output.append(0x0A)
        return output
    }

    private func write(to output: inout [UInt8], indent: Int) {
        switch self {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let number):
            let integral = number == number.rounded() && abs(number) < 1e15
            output.append(contentsOf: (integral ? String(Int64(number)) : String(number)).utf8)
        case .string(let text): Self.appendQuoted(text, to: &output)
        case .array(let elements):
            writeContainer(open: "[", close: "]", count: elements.count, to: &output, indent: indent) { output, index in
                elements[index].write(to: &output, indent: indent + 2)
            }
        case .object(let object):
            writeContainer(open: "{", close: "}", count: object.members.count, to: &output, indent: indent) { output, index in
                Self.appendQuoted(object.members[index].key, to: &output)
                output.append(contentsOf: ": ".utf8)
                object.members[index].value.write(to: &output, indent: indent + 2)
            }
        }
    }

    private func writeContainer(
        open: Unicode.Scalar, close: Unicode.Scalar, count: Int, to output: inout [UInt8], indent: Int,
        element: (inout [UInt8], Int) -> Void
    ) {
        output.append(UInt8(ascii: open))
        guard count > 0 else {
            output.append(UInt8(ascii: close))
            return
        }
        for index in 0..<count {
            output.append(contentsOf: (index == 0 ? "\n" : ",\n").utf8)
            output.append(contentsOf: repeatElement(0x20, count: indent + 2))
            element(&output, index)
        }
        output.append(0x0A)
        output.append(contentsOf: repeatElement(0x20, count: indent))
        output.append(UInt8(ascii: close))
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped, the rest as UTF-8.
    static func appendQuoted(_ text: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        // Most strings (tag IDs, protocol names) need no escape: one copy instead of a byte at a
        // time, checked over the contiguous bytes (this runs several times for every tag event).
        var text = text
        let plain = text.withUTF8 { bytes in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
            output.append(contentsOf: bytes)
            return true
        }
        guard !plain else {
            output.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case ..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

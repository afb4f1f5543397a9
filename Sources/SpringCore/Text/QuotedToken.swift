/// A piece of input shown in an error message. Errors travel (logs, `.result` files,
/// `cfg/result`), so they carry at most the offending token of a file, never more: a bounded
/// prefix in double quotes, with control characters, quotes and backslashes escaped.
public enum QuotedToken {
    public static let maximumCharacters = 40

    public static func quote(_ text: some StringProtocol) -> String {
        var shown = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < maximumCharacters else {
                shown += "..."
                break
            }
            shown += escaped(scalar)
            count += 1
        }
        return "\"\(shown)\""
    }

    static func escaped(_ scalar: Unicode.Scalar) -> String {
        switch scalar.value {
        case 0x22: "\\\""
        case 0x5C: "\\\\"
        case 0x00..<0x20, 0x7F..<0xA0, 0x2028, 0x2029: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
        default: String(scalar)
        }
    }
}

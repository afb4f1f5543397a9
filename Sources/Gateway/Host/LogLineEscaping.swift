/// Text from outside (a command's payload from the network, a file name in the inbox, a push's
/// `Source`) reaches log lines. Control characters in it could end a line early and forge the
/// next one, or drive the terminal that shows the log (ESC sequences); bidirectional overrides
/// could make a line read differently from what it holds. Both log formats write them escaped,
/// and so does the tool's own output of what a device holds (`status`, `config show`).
public enum LogLineEscaping {
    static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0 and C1 controls, DEL
        case 0x2028, 0x2029: true  // line and paragraph separators
        case 0x202A...0x202E, 0x2066...0x2069: true  // bidirectional embeddings, overrides and isolates
        default: false
        }
    }

    /// For a text line: `\n`, `\r`, `\t`, and `\u{XX}` for the others.
    public static func escapedForText(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var escaped = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            guard isUnsafe(scalar) else {
                escaped.append(scalar)
                continue
            }
            let replacement =
                switch scalar {
                case "\n": "\\n"
                case "\r": "\\r"
                case "\t": "\\t"
                default: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                }
            escaped.append(contentsOf: replacement.unicodeScalars)
        }
        return String(escaped)
    }

    /// For a line of JSON whose strings already escape C0 controls: the remaining unsafe scalars
    /// as `\uXXXX`. They can only stand inside strings, where the escape keeps their value.
    static func escapedForJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: isUnsafe) else { return json }
        var escaped = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if isUnsafe(scalar) {
                let hex = String(scalar.value, radix: 16)
                escaped.append(contentsOf: ("\\u" + String(repeating: "0", count: 4 - hex.count) + hex).unicodeScalars)
            } else {
                escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}

/// A JSON object written with its keys in the order given and no white space, the way the
/// device sends META, STATUS and READER EVENT (the reference's examples keep a fixed order).
public struct CompactJSONObject: Sendable {
    private var body = ""

    public init() {}

    public mutating func add(_ key: String, _ value: String) {
        appendKey(key)
        Self.appendString(value, to: &body)
    }

    public mutating func add(_ key: String, _ value: Int) {
        appendKey(key)
        body += String(value)
    }

    public mutating func add(_ key: String, _ value: Bool) {
        appendKey(key)
        body += value ? "true" : "false"
    }

    public mutating func addIfPresent(_ key: String, _ value: String?) {
        if let value, !value.isEmpty { add(key, value) }
    }

    public var text: String { "{" + body + "}" }

    private mutating func appendKey(_ key: String) {
        if !body.isEmpty { body += "," }
        Self.appendString(key, to: &body)
        body += ":"
    }

    private static func appendString(_ string: String, to out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16, uppercase: false)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

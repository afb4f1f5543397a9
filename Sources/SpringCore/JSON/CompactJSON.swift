/// A JSON object written with its keys in the order given and no white space, the way the
/// device sends META, STATUS and READER EVENT (the reference's examples keep a fixed order).
/// Built as UTF-8 bytes because that is what goes on the wire, once per tag event.
public struct CompactJSONObject: Sendable {
    private var body: [UInt8]

    /// Room for a READER EVENT, so that writing one allocates once rather than at each doubling.
    public init() {
        body = []
        body.reserveCapacity(256)
        body.append(UInt8(ascii: "{"))
    }

    public mutating func add(_ key: String, _ value: String) {
        appendKey(key)
        appendString(value)
    }

    public mutating func add(_ key: String, _ value: Int) {
        appendKey(key)
        body.append(contentsOf: String(value).utf8)
    }

    /// A finite number in its shortest exact form (`1.25`).
    public mutating func add(_ key: String, _ value: Double) {
        precondition(value.isFinite, "JSON has no infinities or NaN")
        appendKey(key)
        body.append(contentsOf: value.description.utf8)
    }

    public mutating func add(_ key: String, _ value: Bool) {
        appendKey(key)
        body.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func add(_ key: String, _ object: CompactJSONObject) {
        appendKey(key)
        body.append(contentsOf: object.bytes)
    }

    public mutating func addIfPresent(_ key: String, _ value: String?) {
        if let value, !value.isEmpty { add(key, value) }
    }

    public var bytes: [UInt8] {
        var closed = body
        closed.append(UInt8(ascii: "}"))
        return closed
    }

    /// The object's bytes, taking its buffer rather than copying it: for the last use of an object.
    public consuming func finish() -> [UInt8] {
        body.append(UInt8(ascii: "}"))
        return body
    }
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func appendKey(_ key: String) {
        if body.count > 1 { body.append(UInt8(ascii: ",")) }
        appendString(key)
        body.append(UInt8(ascii: ":"))
    }

    private mutating func appendString(_ string: String) { JSONValue.appendQuoted(string, to: &body) }
}

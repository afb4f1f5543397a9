import Foundation
import SpringCore
import Testing

@Test(
    "malformed JSON is refused with the line, the column and the reason",
    arguments: [
        ("", "line 1, column 1: the text ends where a value was expected"),
        ("{\"a\": 1,}", "line 1, column 9: expected a key in double quotes"),
        ("{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}' after the value of \"a\""),
        ("{\n  \"a\": 1,\n  \"a\": 2\n}", "line 3, column 3: duplicate key \"a\""),
        ("[1, 2", "line 1, column 6: expected ',' or ']' in the array"),
        ("\"open", "line 1, column 1: the string that starts here is not closed"),
        ("\"tab\there\"", "line 1, column 5: control character byte 0x09 inside a string; write it as an escape"),
        ("\"\\x\"", "line 1, column 2: \\'x' is not an escape"),
        ("\"\\u12\"", "line 1, column 4: \\u must be followed by four hex digits"),
        ("\"\\udc00\"", "line 1, column 8: a low surrogate \\udc00 without a high one"),
        ("012", "line 1, column 1: a number cannot start with 0 unless it is 0"),
        ("1.", "line 1, column 3: digits must follow the decimal point"),
        ("1e999", "line 1, column 1: the number is out of range"),
        ("tru", "line 1, column 1: expected true"),
        ("{} x", "line 1, column 4: unexpected text after the JSON value"),
        ("{\"é\": ?}", "line 1, column 7: '?' cannot start a value"),
        (String(repeating: "[", count: 300), "line 1, column 257: nested more than 256 levels deep"),
    ])
func jsonSyntaxErrors(text: String, message: String) {
    do {
        _ = try JSONParser.parse(Array(text.utf8))
        Issue.record("\(text) parsed")
    } catch {
        #expect(error.description == message)
    }
}

@Test("JSON values parse as RFC 8259 says, keeping member order")
func jsonValues() throws {
    let value = try JSONParser.parse(Array(#" {"z": [true, false, null], "a": -1.5e2, "m": "\"\\\/\n\u00e9\ud83d\ude00"} "#.utf8))
    guard case .object(let object) = value else {
        Issue.record("not an object")
        return
    }
    #expect(object.keys == ["z", "a", "m"])
    #expect(object["z"] == .array([.bool(true), .bool(false), .null]))
    #expect(object["a"] == .number(-150))
    #expect(object["m"] == .string("\"\\/\né😀"))
    #expect(try JSONParser.parse(value.prettyPrinted()) == value)
}

@Test("random bytes never crash the parser")
func jsonFuzz() {
    var generator = SystemRandomNumberGenerator()
    let alphabet = Array(#"{}[]",:0123456789-+.eEtrufalsn\u "#.utf8)
    for _ in 0..<5_000 {
        let length = Int.random(in: 0..<40, using: &generator)
        let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
        _ = try? JSONParser.parse(bytes)
    }
}

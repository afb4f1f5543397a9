import Testing

@testable import TagReaders

@Test(
    "a plain line is decimal only when its digits are ASCII; other Unicode numbers are not read as a tag",
    arguments: ["½", "١٢٣٤", "²³", "Ⅻ"])
func nonASCIIDigitsDropped(line: String) {
    guard case .dropped = SerialTextDecoder.plain(line) else {
        Issue.record("\(line.debugDescription) became \(SerialTextDecoder.plain(line))")
        return
    }
}

@Test("ASCII decimal lines still become 4-byte tag IDs")
func asciiDecimalLine() {
    guard case .tag(let event) = SerialTextDecoder.plain("0003710531") else {
        Issue.record("not a tag")
        return
    }
    #expect(event.tagID == "00389E43")
}

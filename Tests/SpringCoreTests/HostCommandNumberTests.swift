import Testing

@testable import SpringCore

@Test("a host command's number too large for Int64 is kept as written, not trapped on")
func hostCommandHugeNumbers() throws {
    let command = try HostCommand.parse(Array(#"{"N":1e300,"BUZZ":100,"F":0.5}"#.utf8))
    #expect(command == HostCommand(parameters: [("N", "1e+300"), ("BUZZ", "100"), ("F", "0.5")]))
}

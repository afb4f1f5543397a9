import Foundation
import Testing

@testable import SpringCore

@Test("a quoted token is at most 40 characters, control characters escaped")
func quotedTokenBounded() {
    #expect(QuotedToken.quote("abc") == "\"abc\"")
    #expect(QuotedToken.quote("a\nb\u{1B}[31m\"\\") == #""a\u{A}b\u{1B}[31m\"\\""#)
    let long = QuotedToken.quote(String(repeating: "x", count: 5000))
    #expect(long == "\"" + String(repeating: "x", count: 40) + "...\"")
}

@Test(
    "errors on a hostile file quote at most the offending token, never the lines around it",
    arguments: [
        // A duplicate JSON key, a bad address, a bad value, each 10 000 characters long.
        #"{"config": {"K": "00", "K": "01"}}"#, #"{"config": {"K": "00"}}"#, #"{"config": {"89": "K"}}"#,
        #"{"config": {"00.64": "K"}}"#, #"{"config": {"01.i": "K"}}"#, #"{"config": {"86.K": "x"}}"#,
        #"{"emulator": {"K": true}}"#,
    ])
func errorsStayShort(template: String) throws {
    let token = "SECRET-LINE-" + String(repeating: "Z", count: 10_000)
    let file = template.replacingOccurrences(of: "K", with: token)
    let message: String
    do {
        _ = try DeviceConfiguration(try ConfigData.parse(Data(file.utf8), file: "f.json"))
        Issue.record("\(template) was accepted")
        return
    } catch let error as ConfigDataError {
        message = error.description
    } catch let error as ConfigurationError {
        message = error.description
    }
    #expect(message.count < 300, "\(message.count) characters: \(message.prefix(400))")
    #expect(message.contains("SECRET-LINE-ZZZ"), "the token's start is shown to find it: \(message)")
}

@Test("a syntax error says where, not what the line holds")
func syntaxErrorShort() {
    let file = #"{"config": {"86.s": "# + String(repeating: "password-", count: 2000) + "\n}"
    do {
        _ = try ConfigData.parse(Data(file.utf8), file: "f.json")
        Issue.record("accepted")
    } catch {
        #expect(error.description.count < 200 && !error.description.contains("password-password"), "\(error)")
    }
}

import Foundation
import Testing

@testable import SpringCore

private func scratch(_ name: String = #function) throws -> String {
    let directory = (NSTemporaryDirectory() as NSString).appendingPathComponent(
        "sr-file-\(name.filter(\.isLetter))-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

@Test("a symbolic link is not followed: the file it names is never read, and its content is in no error")
func symbolicLinkRefused() throws {
    let directory = try scratch()
    let secret = directory + "/secret"
    try Data("TOP-SECRET-TOKEN-7731".utf8).write(to: URL(fileURLWithPath: secret))
    try FileManager.default.createSymbolicLink(atPath: directory + "/config.json", withDestinationPath: secret)
    do {
        _ = try ConfigData.load(contentsOf: directory + "/config.json")
        Issue.record("a symbolic link was read")
    } catch {
        #expect(error.description.contains("is a symbolic link"), "\(error)")
        #expect(!error.description.contains("TOP-SECRET"))
    }
    // A path a person named on the command line may be a link; its target is then judged as a file.
    #expect(throws: ConfigDataError.self) { try ConfigData.load(contentsOf: directory + "/config.json", followingSymbolicLinks: true) }
}
@Test("the size limit holds for bytes that never were a file (socket, cfg/set), with the limit in the message")
func parseSizeLimit() {
    let data = Data(repeating: 0x20, count: ConfigData.maximumFileSize + 1)
    do {
        _ = try ConfigData.parse(data, file: "cfg/set")
        Issue.record("an oversized push was parsed")
    } catch {
        #expect(error == .tooLarge(file: "cfg/set", size: ConfigData.maximumFileSize + 1))
        #expect(error.description.contains("\(ConfigData.maximumFileSize) bytes"), "\(error)")
    }
}
@Test("a missing file and a file over the limit are errors that say which")
func otherRefusals() throws {
    let directory = try scratch()
    #expect(throws: ConfigDataError.missing(file: directory + "/none.json")) { try ConfigData.load(contentsOf: directory + "/none.json") }
    let big = directory + "/big.json"
    try Data(repeating: 0x20, count: ConfigData.maximumFileSize + 1).write(to: URL(fileURLWithPath: big))
    #expect(throws: ConfigDataError.tooLarge(file: big, size: ConfigData.maximumFileSize + 1)) { try ConfigData.load(contentsOf: big) }
    let exact = directory + "/exact.json"
    try Data(#"{"config":{"00.s":"v"}}"#.utf8 + Array(repeating: 0x20, count: ConfigData.maximumFileSize - 23))
        .write(to: URL(fileURLWithPath: exact))
    #expect(try ConfigData.load(contentsOf: exact).string(.configID) == "v", "a file of exactly the limit is read")
}

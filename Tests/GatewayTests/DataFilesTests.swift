import Foundation
import TestSupport
import Testing

@testable import Gateway

@Test("data comes from the first place that has some; when none has, the error lists each place, why, what is wrong, and the fix")
func dataFilesSearch() throws {
    let file = temporaryDirectory("data-file")
    let empty = temporaryDirectory("data-empty")
    let missing = temporaryDirectory("data-missing")
    let full = temporaryDirectory("data-full")
    #expect(FileManager.default.createFile(atPath: file + "/DeviceProfiles", contents: Data()))
    // A partial copy left an empty directory, or one holding only what the shell's dot-files are.
    try FileManager.default.createDirectory(atPath: empty + "/DeviceProfiles", withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: empty + "/DeviceProfiles/.keep", contents: Data()))
    try FileManager.default.createDirectory(atPath: full + "/DeviceProfiles", withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: full + "/DeviceProfiles/springpark.json", contents: Data()))
    let roots = [
        DataFiles.Root(file, "beside the executable /opt/x/bin/smartreader"), DataFiles.Root(empty, "the source checkout"),
        DataFiles.Root(missing, "the system's"), DataFiles.Root(full, "the system's"),
    ]
    #expect(try DataFiles.directory("DeviceProfiles", among: roots) == full + "/DeviceProfiles")

    do {
        _ = try DataFiles.directory("DeviceProfiles", among: Array(roots.dropLast()))
        Issue.record("no place has profiles, yet one was taken")
    } catch {
        #expect(error.searched.map(\.problem) == ["not a directory", "empty", "missing"])
        let message = "\(error)"
        #expect(message.hasPrefix("DeviceProfiles/ not found; looked in:\n"), "\(message)")
        #expect(message.contains("  \(file)/DeviceProfiles (beside the executable /opt/x/bin/smartreader): not a directory"), "\(message)")
        #expect(message.contains("  \(empty)/DeviceProfiles (the source checkout): empty"), "\(message)")
        #expect(message.contains("  \(missing)/DeviceProfiles (the system's): missing"), "\(message)")
        #expect(message.contains("Debian package") && message.contains("set SMARTREADER_DATA"), "\(message)")
    }
    let named = DataFilesError(
        name: "Traces", searched: [.init(path: missing + "/Traces", reason: "$SMARTREADER_DATA", problem: "missing")])
    #expect("\(named)".contains("\(missing)/Traces ($SMARTREADER_DATA): missing") && "\(named)".contains("or unset it"), "\(named)")
}

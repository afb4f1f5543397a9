import Foundation
import TestSupport
import Testing

/// A command typed by name has no directory in argv[0]: its data must come from beside the binary
/// the kernel ran, never from beside wherever the user stands (a hostile review planted profiles).
@Test("a binary run by name finds its data beside itself, not beside the current directory")
func dataBesideTheBinaryNotTheCurrentDirectory() async throws {
    let directory = temporaryDirectory(#function)
    let planted = directory + "/share/smartreader/DeviceProfiles"
    try FileManager.default.createDirectory(atPath: planted, withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: directory + "/bin", withIntermediateDirectories: true)
    try #"{"description": "PLANTED profile", "reader": "auto", "constants": {}, "defaults": {"config": {}}}"#
        .write(toFile: planted + "/springpark.json", atomically: true, encoding: .utf8)
    let folder = (binary as NSString).deletingLastPathComponent
    let listed = try await runTool("/bin/sh", ["-c", "cd '\(directory)/bin' && PATH='\(folder)':\"$PATH\" smartreader profiles"])
    #expect(listed.status == 0, "\(listed.output)")
    #expect(!listed.output.contains("PLANTED") && listed.output.contains("springpark"), "\(listed.output)")
}

/// A directory the user names is the one meant: data elsewhere would hide the mistake.
@Test("SMARTREADER_DATA is the only place looked in when set, and a wrong one is an error naming it")
func dataDirectoryNamedByTheUser() async throws {
    let directory = temporaryDirectory(#function)
    let wrong = try await runTool("/usr/bin/env", ["SMARTREADER_DATA=\(directory)", binary, "profiles"])
    #expect(wrong.status != 0, "\(wrong.output)")
    #expect(
        wrong.output.contains("\(directory)/DeviceProfiles ($SMARTREADER_DATA)") && wrong.output.contains("or unset it"), "\(wrong.output)")
    let right = try await runTool("/usr/bin/env", ["SMARTREADER_DATA=\(packageRoot)", binary, "profiles"])
    #expect(right.status == 0 && right.output.contains("springpark"), "\(right.output)")
}

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

/// A directory the user names is the one meant: data elsewhere would hide the mistake. Empty is
/// unset, as `SMARTREADER_DATA= smartreader ...` means in a shell, and never the current directory.
@Test("SMARTREADER_DATA is the only place looked in when set (relative to where the user stands), and empty is unset")
func dataDirectoryNamedByTheUser() async throws {
    let directory = temporaryDirectory(#function)
    let wrong = try await runTool("/usr/bin/env", ["SMARTREADER_DATA=\(directory)", binary, "profiles"])
    #expect(wrong.status != 0, "\(wrong.output)")
    #expect(
        wrong.output.contains("\(directory)/DeviceProfiles ($SMARTREADER_DATA): missing") && wrong.output.contains("or unset it"),
        "\(wrong.output)")
    let right = try await runTool("/usr/bin/env", ["SMARTREADER_DATA=\(packageRoot)", binary, "profiles"])
    #expect(right.status == 0 && right.output.contains("springpark"), "\(right.output)")

    // Profiles planted in the current directory: neither an empty value nor "." by accident reads them.
    try FileManager.default.createDirectory(atPath: directory + "/DeviceProfiles", withIntermediateDirectories: true)
    try #"{"description": "PLANTED profile", "reader": "auto", "constants": {}, "defaults": {"config": {}}}"#
        .write(toFile: directory + "/DeviceProfiles/springpark.json", atomically: true, encoding: .utf8)
    let unset = try await runTool("/bin/sh", ["-c", "cd '\(directory)' && SMARTREADER_DATA= '\(binary)' profiles"])
    #expect(unset.status == 0 && !unset.output.contains(directory) && unset.output.contains("springpark"), "\(unset.output)")
    let relative = try await runTool("/bin/sh", ["-c", "cd '\(directory)/DeviceProfiles' && SMARTREADER_DATA=.. '\(binary)' profiles"])
    // The planted profile is read (and found wanting) by its absolute path.
    #expect(relative.output.contains("\(directory)/DeviceProfiles/springpark.json is malformed"), "\(relative.output)")
    let relativeWrong = try await runTool("/bin/sh", ["-c", "cd '\(directory)' && SMARTREADER_DATA=nowhere '\(binary)' profiles"])
    #expect(relativeWrong.output.contains("\(directory)/nowhere/DeviceProfiles ($SMARTREADER_DATA): missing"), "\(relativeWrong.output)")
}

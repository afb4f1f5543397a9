import Foundation
import TestSupport
import Testing

@testable import Gateway

@Test("data is taken from the first place that has it; when none has, the error lists each place, why, and the fix")
func dataFilesSearch() throws {
    let first = temporaryDirectory("data-first")
    let second = temporaryDirectory("data-second")
    try FileManager.default.createDirectory(atPath: second + "/DeviceProfiles", withIntermediateDirectories: true)
    // A file of that name is not the directory asked for.
    #expect(FileManager.default.createFile(atPath: first + "/DeviceProfiles", contents: Data()))
    let roots = [DataFiles.Root(first, "beside the executable /opt/x/bin/smartreader"), DataFiles.Root(second, "the system's")]
    #expect(try DataFiles.directory("DeviceProfiles", among: roots) == second + "/DeviceProfiles")

    #expect(throws: DataFilesError(name: "Traces", searched: roots)) { try DataFiles.directory("Traces", among: roots) }
    let message = "\(DataFilesError(name: "Traces", searched: roots))"
    #expect(message.contains("Traces/ not found"), "\(message)")
    #expect(message.contains("\(first)/Traces (beside the executable /opt/x/bin/smartreader)"), "\(message)")
    #expect(message.contains("\(second)/Traces (the system's)"), "\(message)")
    #expect(message.contains("Debian package") && message.contains("set SMARTREADER_DATA"), "\(message)")

    let named = "\(DataFilesError(name: "Traces", searched: [DataFiles.Root(first, "$SMARTREADER_DATA")]))"
    #expect(named.contains("\(first)/Traces ($SMARTREADER_DATA)") && named.contains("or unset it"), "\(named)")
}

import Foundation
import TestSupport
import Testing

@testable import Gateway

/// Every regular file under `root`, relative to it.
private func files(under root: String) -> Set<String> {
    let enumerator = FileManager.default.enumerator(atPath: root)
    var found: Set<String> = []
    while let path = enumerator?.nextObject() as? String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
            found.insert(path)
        }
    }
    return found
}

@Test("the package's staging tree (install --destdir) holds what install writes on a system, paths inside as on the target")
func stagedInstallationMatchesDirectOne() throws {
    let scratch = temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let executable = scratch + "/built/smartreader"
    try FileManager.default.createDirectory(atPath: scratch + "/data/DeviceProfiles", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: scratch + "/data/Traces", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: scratch + "/built", withIntermediateDirectories: true)
    try Data("binary".utf8).write(to: URL(fileURLWithPath: executable))
    try Data("{}".utf8).write(to: URL(fileURLWithPath: scratch + "/data/DeviceProfiles/springpark.json"))
    try Data("{}\n".utf8).write(to: URL(fileURLWithPath: scratch + "/data/Traces/sample.jsonl"))
    let data = [scratch + "/data/DeviceProfiles", scratch + "/data/Traces"]

    let staged = ServiceInstallation(
        prefix: "/usr", unitDirectory: "/lib/systemd/system", configurationDirectory: "/etc/smartreader",
        destinationRoot: scratch + "/stage")
    _ = try staged.installFiles(executable: executable, data: data)
    let direct = ServiceInstallation(
        prefix: scratch + "/direct/usr", unitDirectory: scratch + "/direct/lib/systemd/system",
        configurationDirectory: scratch + "/direct/etc/smartreader")
    _ = try direct.installFiles(executable: executable, data: data)

    let expected: Set<String> = [
        "usr/bin/smartreader", "usr/share/smartreader/DeviceProfiles/springpark.json", "usr/share/smartreader/Traces/sample.jsonl",
        "lib/systemd/system/smartreader@.service", "etc/smartreader/SERIAL.env.example",
    ]
    #expect(files(under: scratch + "/stage") == expected)
    #expect(files(under: scratch + "/direct") == expected)
    #expect(
        staged.installedPaths(dataNames: ["DeviceProfiles", "Traces"]) == [
            "/usr/bin/smartreader", "/usr/share/smartreader/DeviceProfiles", "/usr/share/smartreader/Traces",
            "/lib/systemd/system/smartreader@.service", "/etc/smartreader/SERIAL.env.example",
        ])

    let unit = try String(contentsOfFile: scratch + "/stage/lib/systemd/system/smartreader@.service", encoding: .utf8)
    #expect(unit == staged.unit)
    #expect(unit.contains("\nExecStart=/usr/bin/smartreader run --state-dir /var/lib/smartreader/%i $SMARTREADER_OPTIONS\n"))
    // Through the control socket: a reload right after a start fails, saying why, rather than
    // a SIGHUP ending a daemon that does not listen for it yet; and it waits for the outcome.
    #expect(unit.contains("\nExecReload=/usr/bin/smartreader config reload --state-dir /var/lib/smartreader/%i\n"))
    #expect(unit.contains("\nEnvironmentFile=-/etc/smartreader/%i.env\n"))
    #expect(!unit.contains(scratch), "the staging directory leaks into the unit")
}

@Test("install notices a binary that loads the Swift runtime from a toolchain (it would not start on a gateway without one)")
func sharedSwiftRuntimeNoticed() {
    let dynamic = """
        55d0c0a00000-55d0c0b00000 r--p 00000000 08:01 1234   /usr/local/bin/smartreader
        7f1e94400000-7f1e94600000 r-xp 00000000 08:01 5678   /opt/swift/usr/lib/swift/linux/libswiftCore.so
        7f1e92e1e000-7f1e92e44000 r--p 00000000 08:01 9012   /usr/lib/x86_64-linux-gnu/libc.so.6
        """
    let linkedIn = """
        55d0c0a00000-55d0c0b00000 r--p 00000000 08:01 1234   /usr/bin/smartreader
        7f1e92e1e000-7f1e92e44000 r--p 00000000 08:01 9012   /usr/lib/x86_64-linux-gnu/libc.so.6
        7ffd1a2f0000-7ffd1a311000 rw-p 00000000 00:00 0      [stack]
        """
    #expect(ServiceInstallation.sharedSwiftRuntime(inMaps: dynamic) == "/opt/swift/usr/lib/swift/linux/libswiftCore.so")
    #expect(ServiceInstallation.sharedSwiftRuntime(inMaps: linkedIn) == nil)
}

import DeviceIdentity
import Foundation
import SpringCore
import TestSupport
import Testing

@testable import Gateway

private func provisionedDevice(_ name: String = #function) throws -> DeviceStateDirectory {
    let root = temporaryDirectory(name)
    let pki = try DevelopmentPKI.create(at: (root as NSString).appendingPathComponent("pki"))
    let state = DeviceStateDirectory(path: (root as NSString).appendingPathComponent("device"))
    try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
        .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "broker.example", port: 8883))
    return state
}

@Test("a provisioned device passes; every slot file and named file is judged")
func provisionedDeviceIsTrusted() throws {
    let state = try provisionedDevice()
    let trust = StateDirectoryTrust(state: state)
    #expect(trust.problems.isEmpty, "\(trust.problems)")
    #expect(throws: Never.self) { try trust.check() }
    #expect(trust.trustedPaths.contains(state.certificatePath(slot: 0x0E)) && trust.trustedPaths.contains(state.configurationPath))
}

@Test("each change others could make is refused with the path and the command that mends it")
func untrustedPathsRefused() throws {
    let state = try provisionedDevice()
    let trust = StateDirectoryTrust(state: state, user: getuid())
    chmod(state.path, 0o720)
    chmod(state.factoryConfigurationPath, 0o646)
    let inbox = state.file("inbox")
    try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: false)
    chmod(inbox, 0o770)
    #expect(
        trust.problems.map(\.description) == [
            "\(state.path) is writable by its group; fix: chmod go-w \(state.path)",
            "\(state.factoryConfigurationPath) is writable by all users; fix: chmod go-w \(state.factoryConfigurationPath)",
            "\(inbox) is writable by its group; fix: chmod go-w \(inbox)",
        ])
    do {
        try trust.check()
        Issue.record("an untrusted state directory was accepted")
    } catch {
        #expect(error.description.contains("chmod go-w \(state.factoryConfigurationPath)"), "\(error)")
    }
    #expect(trust.findings.count == 3 && trust.findings.allSatisfy { $0.outcome == .failed && $0.fix.hasPrefix("chmod go-w ") })
}

@Test(
    "a file owned by another user (not root) is refused; root-owned files are accepted; the fix names the user who runs the device",
    .enabled(if: getuid() == 0, "giving a file away takes root"))
func foreignOwnerRefused() throws {
    let state = try provisionedDevice()
    // Judged as if the device ran as nobody: the root-owned files pass, the one given to daemon (uid 1) does not.
    let asNobody = StateDirectoryTrust(state: state, user: 65534)
    #expect(asNobody.problems.isEmpty, "\(asNobody.problems)")
    chown(state.configurationPath, 1, 1)
    #expect(
        asNobody.problems.map(\.description) == [
            "\(state.configurationPath) is owned by daemon, not by nobody who runs the device; fix: chown nobody \(state.configurationPath)"
        ])
}

@Test("a relative symbolic link is refused naming the file it leads to, and the fix copies that file into place")
func relativeLinkNamesItsTarget() throws {
    let state = try provisionedDevice()
    let real = state.file("c.real")
    try FileManager.default.moveItem(atPath: state.configurationPath, toPath: real)
    try FileManager.default.createSymbolicLink(atPath: state.configurationPath, withDestinationPath: "c.real")
    let problem = try #require(StateDirectoryTrust(state: state).problems.first)
    let resolved = try #require(
        realpath(real, nil).map { pointer in
            defer { free(pointer) }
            return String(cString: pointer)
        })
    #expect(problem.path == state.configurationPath)
    #expect(problem.reason.contains("(to \(resolved))"), "\(problem.reason)")
    #expect(problem.fix == "cp --remove-destination \(resolved) \(state.configurationPath)", "\(problem.fix)")
}

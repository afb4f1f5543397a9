import DeviceIdentity
import Foundation
import Gateway
import SpringCore
import TestSupport
import Testing

/// How a run of the tool ended: its exit status (never a signal, or the test fails) and what it wrote.
private struct Ending {
    var status: Int32
    var output: String
}

/// Runs the tool, stopping it after `seconds`: a hostile input must end it with a message, not a trap or a hang.
private func runBounded(_ arguments: [String], seconds: Double = 20) async throws -> Ending {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let deadline = ContinuousClock.now + .seconds(seconds)
    while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
    if process.isRunning {
        process.terminate()
        Issue.record("smartreader \(arguments.joined(separator: " ")) did not end within \(seconds) s")
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationReason == .exit, "ended by signal \(process.terminationStatus): \(output)")
    return Ending(status: process.terminationStatus, output: output)
}

/// A provisioned device that needs no broker: every test here ends before connecting.
private func provisionedDevice(_ name: String = #function) throws -> DeviceStateDirectory {
    let root = temporaryDirectory(name)
    let pki = try DevelopmentPKI.create(at: (root as NSString).appendingPathComponent("pki"))
    let state = DeviceStateDirectory(path: (root as NSString).appendingPathComponent("device"))
    try DeviceProvisioning(pki: pki, profile: try DeviceProfile.load(name: "springpark", directory: deviceProfilesDirectory))
        .provision(state: state, serialNumber: "DA1275B0", broker: BrokerAddress(host: "127.0.0.1", port: 1))
    return state
}

private func writeTrace(_ text: String, in state: DeviceStateDirectory) throws -> String {
    let path = (state.path as NSString).deletingLastPathComponent + "/trace.jsonl"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("hostile input: numbers from files and flags, and a state directory others can write")
struct HostileInputTests {
    @Test("a trace with a huge t and a speed of 1e-300: run and replay end with a message naming the line or the flag")
    func hugeNumbers() async throws {
        let state = try provisionedDevice()
        let trace = try writeTrace(#"{"t":1e16,"TagId":"01020304","Move":"Insert"}"#, in: state)
        for command in [["replay", "--state-dir", state.path, trace], ["run", "--state-dir", state.path, "--trace", trace]] {
            let ending = try await runBounded(command)
            #expect(ending.status == 1 && ending.output.contains("\(trace):1: \"t\" must be a number of seconds"), "\(ending.output)")
        }
        let good = try writeTrace(#"{"t":1,"TagId":"01020304","Move":"Insert"}"#, in: state)
        for command in [["replay", "--state-dir", state.path, good], ["run", "--state-dir", state.path, "--trace", good]] {
            let ending = try await runBounded(command + ["--speed", "1e-300"])
            #expect(ending.status == 64 && ending.output.contains("--speed must be from 0.001 to 1000000"), "\(ending.output)")
        }
        let simulate = ["simulate", "--devices", "1", "--pki", state.path, "--broker", "127.0.0.1:1"]
        for flag in [["--duration", "1e300"], ["--connect-rate", "1e-300"], ["--rate", "inf"]] {
            let ending = try await runBounded(simulate + flag)
            #expect(ending.status == 64 && ending.output.contains("--rate must be from 0 to 1000000"), "\(flag): \(ending.output)")
        }
    }

    /// A group-writable config.json, a world-writable slots/, a CA slot that is a symlink, a file of another user.
    @Test("a state directory others could change: run and replay refuse naming the path and the fix; the doctor fails the check")
    func untrustedStateDirectory() async throws {
        let state = try provisionedDevice()
        let trace = try writeTrace(#"{"t":0,"TagId":"01020304","Move":"Insert"}"#, in: state)
        let authority = state.certificatePath(slot: 0x0E)
        let elsewhere = (state.path as NSString).deletingLastPathComponent + "/other-ca.pem"
        var faults: [(path: String, expected: String, make: () throws -> Void, undo: () throws -> Void)] = [
            (
                state.configurationPath, "is writable by its group; fix: chmod go-w \(state.configurationPath)",
                { chmod(state.configurationPath, 0o660) }, { chmod(state.configurationPath, 0o600) }
            ),
            (
                state.file("slots"), "is writable by all users; fix: chmod go-w \(state.file("slots"))",
                { chmod(state.file("slots"), 0o777) }, { chmod(state.file("slots"), 0o700) }
            ),
            (
                authority, "is a symbolic link (to \(elsewhere))",
                {
                    try FileManager.default.moveItem(atPath: authority, toPath: elsewhere)
                    try FileManager.default.createSymbolicLink(atPath: authority, withDestinationPath: elsewhere)
                },
                {
                    try FileManager.default.removeItem(atPath: authority)
                    try FileManager.default.moveItem(atPath: elsewhere, toPath: authority)
                }
            ),
        ]
        if getuid() == 0 {
            let factory = state.file("factory.json")
            faults.append(
                (
                    factory, "is owned by nobody, not by root who runs the device; fix: chown root \(factory)",
                    { chown(factory, 65534, 65534) }, { chown(factory, 0, 0) }
                ))
        }
        for fault in faults {
            try fault.make()
            let expected = "\(fault.path) \(fault.expected)"
            let replay = try await runBounded(["replay", "--state-dir", state.path, trace])
            #expect(replay.status == 1 && replay.output.contains(expected), "\(replay.output)")
            let run = try await runBounded(["run", "--state-dir", state.path, "--trace", trace])
            #expect(run.status == 1 && run.output.contains(expected), "\(run.output)")
            let doctor = try await runBounded(["doctor", "--state-dir", state.path])
            #expect(doctor.status != 0 && doctor.output.contains("FAIL  state directory trust: \(fault.path) "), "\(doctor.output)")
            try fault.undo()
        }
        let doctor = try await runBounded(["doctor", "--state-dir", state.path])
        #expect(doctor.output.contains("ok    state directory trust: only "), "\(doctor.output)")
    }

    @Test("what the tool makes passes its own check, even under umask 002: pki provision, create, config set")
    func provisioningPassesTrust() async throws {
        let root = temporaryDirectory()
        let pki = root + "/pki"
        let provisioned = root + "/provisioned"
        let created = root + "/created"
        let script = [
            "umask 002", "\(binary) pki init \(pki)",
            "\(binary) pki provision \(pki) --state-dir \(provisioned) --serial DA1275B0 --broker 127.0.0.1:1",
            "\(binary) create --state-dir \(created) --serial DA1275B1 --broker 127.0.0.1:1 --broker-ca \(pki)/root.crt",
            "\(binary) config set --state-dir \(provisioned) mqtt.client-id DA1275B0",
        ].joined(separator: " && ")
        let result = try await runTool("/bin/sh", ["-c", script])
        #expect(result.status == 0, "\(result.output)")
        for path in [provisioned, created] {
            let problems = StateDirectoryTrust(state: DeviceStateDirectory(path: path)).problems
            #expect(problems.isEmpty, "\(problems)")
            #expect(StateDirectoryTrust(state: DeviceStateDirectory(path: path)).trustedPaths.count >= 5)
        }
    }
}

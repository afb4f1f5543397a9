import Foundation
import HostSystem
import TestSupport
import Testing

/// `demo` (the README's first command) and `bench replay` start a mosquitto of their own and write
/// a PKI (keys included) in a temporary directory: however they end, neither may outlive them.
@Suite("demo and bench: brokers and files of their own, gone however they end")
struct OwnBrokerCommandTests {
    /// Runs the command with its temporary files in a directory of the test's own, so what it leaves is seen.
    private func start(_ arguments: [String], in directory: String) throws -> (ChildProcess, output: String) {
        let output = directory + "/command.out"
        let command = try ChildProcess(
            executable: "/usr/bin/env", arguments: ["TMPDIR=\(directory)/tmp", binary] + arguments, output: .file(output))
        return (command, output)
    }

    private func leftovers(in directory: String) async throws -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? []
        let brokers = try await runTool("pgrep", ["-af", "mosquitto -c \(directory)/tmp"]).output
        return files + brokers.split(separator: "\n").map(String.init)
    }

    @Test("it shows META, STATUS and the events a Watch client receives, exits 0 and leaves nothing behind")
    func demoRuns() async throws {
        try await FixtureSlots.shared.run {
            let directory = temporaryDirectory("demo")
            try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
            let (demo, output) = try start(["demo", "--fast"], in: directory)
            #expect(await demo.waitForExit(timeout: .seconds(60)) == 0)
            let text = try String(contentsOfFile: output, encoding: .utf8)
            for line in ["  meta    DA1275B0", "  status  DA1275B0  online,ready", "  event   DA1275B0", "  status  DA1275B0  offline"] {
                #expect(text.contains(line), "\(text)")
            }
            #expect(text.contains("done       broker stopped, temporary files removed"), "\(text)")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    @Test(
        "SIGTERM or SIGINT mid-way: the device says offline, the broker stops, the files go, and it exits as the signal would",
        arguments: [SIGTERM, SIGINT])
    func demoStopped(by signal: Int32) async throws {
        try await FixtureSlots.shared.run {
            let directory = temporaryDirectory("demo-signal")
            try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
            let (demo, output) = try start(["demo", "--speed", "0.05"], in: directory)
            let started = try await poll(for: .seconds(30)) {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("online,ready")
            }
            #expect(started, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            demo.signal(signal)
            #expect(await demo.waitForExit(timeout: .seconds(20)) == 128 + signal)
            let text = try String(contentsOfFile: output, encoding: .utf8)
            #expect(text.contains(": stopping") && text.contains("  status  DA1275B0  offline"), "\(text)")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    @Test("its output closed (demo | head): it stops as the signal would have, broker and files gone")
    func demoOutputClosed() async throws {
        try await FixtureSlots.shared.run {
            let directory = temporaryDirectory("demo-pipe")
            try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
            let piped = try await runTool(
                "/bin/bash", ["-c", "TMPDIR='\(directory)/tmp' '\(binary)' demo --speed 0.05 | head -2; echo \"status ${PIPESTATUS[0]}\""])
            #expect(piped.output.hasPrefix("PKI ") && piped.output.hasSuffix("status 141\n"), "\(piped.output)")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    @Test("SIGTERM during a benchmark's round: mosquitto_pub and the broker stop, the files go, exit 143, within seconds")
    func benchStopped() async throws {
        try await FixtureSlots.shared.run {
            let directory = temporaryDirectory("bench-signal")
            try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
            let (bench, output) = try start(["bench", "replay", "--events", "200000", "--rounds", "3"], in: directory)
            let replaying = try await poll(for: .seconds(30)) {
                ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("replaying 200000 events")
            }
            #expect(replaying, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            bench.signal(SIGTERM)
            // Stopping all 200,000 events' work took 24 s before the replay heard the cancellation.
            let status = await bench.waitForExit(timeout: .seconds(10))
            if status == nil { await bench.terminate() }
            #expect(status == 143, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
            #expect(try await leftovers(in: directory) == [])
        }
    }
}

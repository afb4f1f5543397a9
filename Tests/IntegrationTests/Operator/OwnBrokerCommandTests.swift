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

    /// The test's directory, with the `tmp` the command's TMPDIR points at.
    private func scratchDirectory(_ name: String) throws -> String {
        let directory = temporaryDirectory(name)
        try FileManager.default.createDirectory(atPath: directory + "/tmp", withIntermediateDirectories: true)
        return directory
    }

    /// What the command has written so far.
    private func contents(of output: String) -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

    private func leftovers(in directory: String) async throws -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/tmp")) ?? []
        let brokers = try await runTool("pgrep", ["-af", "mosquitto -c \(directory)/tmp"]).output
        return files + brokers.split(separator: "\n").map(String.init)
    }

    @Test("it shows META, STATUS and the events a Watch client receives, exits 0 and leaves nothing behind")
    func demoRuns() async throws {
        try await FixtureSlots.shared.run {
            let directory = try scratchDirectory("demo")
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
            let directory = try scratchDirectory("demo-signal")
            let (demo, output) = try start(["demo", "--speed", "0.05"], in: directory)
            let started = try await poll(for: .seconds(30)) {
                contents(of: output).contains("online,ready")
            }
            #expect(started, "\(contents(of: output))")
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
            let directory = try scratchDirectory("demo-pipe")
            let piped = try await runTool(
                "/bin/bash", ["-c", "TMPDIR='\(directory)/tmp' '\(binary)' demo --speed 0.05 | head -2; echo \"status ${PIPESTATUS[0]}\""])
            #expect(piped.output.hasPrefix("PKI ") && piped.output.hasSuffix("status 141\n"), "\(piped.output)")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    @Test("SIGTERM during a benchmark's round: mosquitto_pub and the broker stop, the files go, exit 143, within seconds")
    func benchStopped() async throws {
        try await FixtureSlots.shared.run {
            let directory = try scratchDirectory("bench-signal")
            let (bench, output) = try start(["bench", "replay", "--events", "200000", "--rounds", "3"], in: directory)
            let replaying = try await poll(for: .seconds(30)) {
                contents(of: output).contains("replaying 200000 events")
            }
            #expect(replaying, "\(contents(of: output))")
            bench.signal(SIGTERM)
            // Stopping all 200,000 events' work took 24 s before the replay heard the cancellation.
            let status = await bench.waitForExit(timeout: .seconds(10))
            if status == nil { await bench.terminate() }
            #expect(status == 143, "\(contents(of: output))")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    @Test("a signal while its broker starts: the broker does not outlive it (it did in 10 of 24 tries)")
    func demoStoppedWhileTheBrokerStarts() async throws {
        try await FixtureSlots.shared.run {
            for attempt in 0..<3 {
                let directory = try scratchDirectory("demo-early")
                let (demo, output) = try start(["demo"], in: directory)
                // "PKI" is printed just before mosquitto is started and waited for.
                let made = try await poll(for: .seconds(30)) {
                    contents(of: output).contains("PKI ")
                }
                #expect(made)
                demo.signal(SIGTERM)
                #expect(await demo.waitForExit(timeout: .seconds(20)) == 143, "attempt \(attempt)")
                #expect(try await leftovers(in: directory) == [], "attempt \(attempt)")
            }
        }
    }

    /// Python's subprocess, a peer nobody here wrote, tells a death by a signal (a negative
    /// return code) from an exit with 128 + its number, which a shell loop would not stop at.
    @Test("Ctrl-C ends it by SIGINT itself once it has cleaned up, so a shell loop around it stops")
    func demoEndsBySignal() async throws {
        try await FixtureSlots.shared.run {
            let directory = try scratchDirectory("demo-raise")
            let script = """
                import os, signal, subprocess, sys, time
                demo = subprocess.Popen([sys.argv[1], "demo", "--speed", "0.05"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env=dict(os.environ, TMPDIR=sys.argv[2]))
                while b"online,ready" not in demo.stdout.readline(): pass
                demo.send_signal(signal.SIGINT)
                demo.stdout.read()
                print(demo.wait(timeout=20))
                """
            let ended = try await runTool("python3", ["-c", script, binary, directory + "/tmp"])
            #expect(ended.output == "-2\n", "\(ended.output)")
            #expect(try await leftovers(in: directory) == [])
        }
    }

    /// 2,000 events wait for their acknowledgements (drained); 20,000 fill the outbox (10,000) and wait for room.
    @Test(
        "bench against a broker of the caller's that stops answering (SIGSTOP): SIGTERM still ends it, without the broker coming back",
        arguments: [2000, 20000])
    func benchStoppedWithAStalledBroker(events: Int) async throws {
        try await BrokerFixture.with { fixture in
            let output = fixture.directory + "/bench.out"
            let bench = try ChildProcess(
                executable: "/usr/bin/env",
                arguments: [
                    "TMPDIR=\(fixture.directory)", binary, "bench", "replay", "--events", String(events), "--rounds", "1", "--broker-port",
                    String(fixture.broker.port), "--pki", fixture.pki.directory,
                ],
                output: .file(output))
            let connected = try await poll(for: .seconds(30)) {
                contents(of: output).contains("replaying \(events) events")
            }
            #expect(connected, "\(contents(of: output))")
            // Connected and publishing by then, so the broker stops mid-stream.
            try await Task.sleep(for: .milliseconds(events == 2000 ? 300 : 1000))
            await fixture.broker.signal(SIGSTOP)
            try await Task.sleep(for: .seconds(3))
            bench.signal(SIGTERM)
            // It waited for the broker's acknowledgements, or for room in the outbox, until the broker came back.
            // Now the device's goodbye waits at most its response timeout thrice (drain, in flight, STATUS offline).
            let status = await bench.waitForExit(timeout: .seconds(40))
            await fixture.broker.signal(SIGCONT)
            if status == nil { await bench.terminate() }
            #expect(status == 143, "\(contents(of: output))")
        }
    }
}

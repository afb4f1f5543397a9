import Foundation
import TestSupport
import Testing

/// What `simulate` and `pki` refuse before doing anything: each refusal names the option (or the
/// variable), the value given, and what would be taken.
@Suite("simulate's and pki's refusals of options")
struct FleetOptionTests {
    /// `simulate` with `extra`, before any identity is made (the fleet directory does not exist).
    private func simulate(_ extra: [String], devices: String = "8", environment: [String] = []) async throws -> (
        status: Int32, output: String
    ) {
        let arguments = ["simulate", "--devices", devices, "--fleet-directory", "/nonexistent/fleet", "--broker", "localhost:1"] + extra
        guard let first = environment.first else { return try await runTool(binary, arguments) }
        return try await runTool(first, Array(environment.dropFirst()) + [binary] + arguments)
    }

    @Test("every malformed --shard, after a space or an equals sign, names --shard, the value and the form K/N with 0 <= K < N")
    func malformedShard() async throws {
        for value in ["-1/4", "4/4", "1/0", "0/-4", "1", "a/4", "1/4/2", "", "/4", "99999999999999999999/4"] {
            for form in [["--shard", value], ["--shard=\(value)"]] {
                let run = try await simulate(form)
                // `--shard=` alone is the parser's "missing value", with the option's help.
                let named = form == ["--shard="] ? "Missing value for '--shard <shard>'" : "--shard \"\(value)\""
                #expect(
                    run.status != 0 && run.output.contains(named) && run.output.contains("K/N with 0 <= K < N"), "\(form): \(run.output)")
            }
        }
        let environment = try await simulate([], environment: ["JOB_COMPLETION_INDEX=-1", "SMARTREADER_SHARDS=4"])
        #expect(
            environment.status != 0 && environment.output.contains("JOB_COMPLETION_INDEX") && environment.output.contains("-1/4")
                && environment.output.contains("K/N with 0 <= K < N"), "\(environment.output)")
        let variable = try await simulate([], environment: ["SMARTREADER_SHARD=2/2"])
        #expect(variable.status != 0 && variable.output.contains("SMARTREADER_SHARD \"2/2\""), "\(variable.output)")
    }

    @Test("--start-at takes only UTC ending in Z, and neither more than 24 h ahead nor a time whose event phase is over")
    func startTimes() async throws {
        let formatter = ISO8601DateFormatter()
        for (value, expected) in [
            ("2026-12-01T10:00:00+01:00", "ending in Z"), ("2026-12-01T09:00:00", "ending in Z"), ("2026-12-01 09:00:00Z", "ending in Z"),
            ("2026-12-01T09:00:00z", "ending in Z"), ("tomorrow", "ending in Z"),
            (formatter.string(from: Date().addingTimeInterval(3 * 86_400)), "at most 24 h"),
            (formatter.string(from: Date().addingTimeInterval(-7200)), "is over"),
        ] {
            let run = try await simulate(["--start-at", value, "--duration", "600"])
            #expect(
                run.status != 0 && run.output.contains("--start-at \"\(value)\"") && run.output.contains(expected),
                "\(value): \(run.output)")
        }
    }

    @Test("pki provision and pki issue give no device a serial number of the fleet's range; simulate's --devices stays inside it")
    func fleetSerialRange() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pki = directory + "/pki"
        #expect(try await runTool(binary, ["pki", "init", pki]).status == 0)
        let taken = try await runTool(binary, ["pki", "provision", pki, "--state-dir", directory + "/d1", "--serial", "5f000003"])
        #expect(
            taken.status != 0 && taken.output.contains("5F000003") && taken.output.contains("5F000000 to 5FFFFFFF")
                && taken.output.contains("fleet device 3"), "\(taken.output)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/d1"), "nothing made")
        let issued = try await runTool(binary, ["pki", "issue", pki, "--role", "watch", "--cn", "5F00FFFF", "--out", directory + "/w"])
        #expect(
            issued.status != 0 && issued.output.contains("5F00FFFF") && issued.output.contains("fleet device 65535"), "\(issued.output)")
        let outside = try await runTool(binary, ["pki", "provision", pki, "--state-dir", directory + "/d2", "--serial", "5EFFFFFF"])
        #expect(outside.status == 0, "\(outside.output)")
        let tooMany = try await simulate([], devices: "16777217")
        #expect(tooMany.status != 0 && tooMany.output.contains("--devices") && tooMany.output.contains("16777216"), "\(tooMany.output)")
    }
}

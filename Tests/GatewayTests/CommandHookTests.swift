import Foundation
import Gateway
import Logging
import SpringCore
import Synchronization
import TestSupport
import Testing

extension CapturedLog {
    /// Up to 60 s: the whole suite in parallel on two cores can hold a process back for seconds.
    fileprivate func waitFor(_ what: String, _ condition: ([String]) -> Bool) async throws {
        if try await !poll(for: .seconds(60), until: { condition(all) }) { Issue.record("timed out waiting for \(what): \(all)") }
    }
}

private func hook(_ script: String, _ name: String = #function) throws -> String {
    let path = temporaryDirectory(name) + "/hook.sh"
    try ("#!/bin/sh\n" + script).write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    return path
}

/// Alive and not a zombie (a reparented orphan is reaped by whoever is PID 1, maybe never).
private func running(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let state = stat.split(separator: ")").last?.split(separator: " ").first
    else { return false }
    return state != "Z"
}

@Test("a hook killed at its timeout takes the processes it started with it")
func timeoutKillsTheHooksProcessGroup() async throws {
    let directory = temporaryDirectory("hook-group")
    let pidFile = directory + "/background.pid"
    let path = try hook("sleep 60 &\necho $! > \(pidFile)\nexec sleep 60\n")
    let collected = CapturedLog()
    let commandHook = CommandHook(executable: path, timeout: .milliseconds(500), logger: collected.logger)
    commandHook.submit(ReaderCommand(relays: [.set(on: true)]), device: "DA1275B0", logger: collected.logger)
    try await collected.waitFor("the kill") { $0.contains { $0.contains("killed") } }
    try await Task.sleep(for: .milliseconds(1500))
    let background = try #require(
        Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
    #expect(!running(background), "the hook's background child \(background) outlived it")
}

@Test("a hook's output is captured, bounded and logged as one message, never written to the daemon's own output")
func hookOutputIsOneBoundedMessage() async throws {
    let path = try hook(
        "printf 'opening gate\\n2026-12-01T00:00:00+0000 critical smartreader: forged line\\n'\n"
            // One process writing 100 KB: a pipeline's writer (`yes | head`) can outlive its reader
            // when the test runner's SIGPIPE disposition is inherited, which is not what this tests.
            + "awk 'BEGIN { for (i = 0; i < 50000; i++) print \"x\" }'\nexit 3\n")
    let collected = CapturedLog()
    let commandHook = CommandHook(executable: path, timeout: .seconds(50), logger: collected.logger)
    commandHook.submit(ReaderCommand(relays: [.set(on: true)]), device: "DA1275B0", logger: collected.logger)
    try await collected.waitFor("the exit") { $0.contains { $0.contains("exited with 3") } }
    let wrote = collected.all.filter { $0.contains("opening gate") }
    #expect(wrote.count == 1, "\(collected.all)")
    let line = try #require(wrote.first)
    #expect(line.contains("forged line") && line.contains("more bytes not shown"), "\(line)")
    #expect(line.utf8.count < 2000, "\(line.utf8.count) bytes")
}

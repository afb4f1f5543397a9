import Foundation
import HostSystem
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Test("a child process inherits standard input, output and error only, not our sockets or ptys")
func childInheritsNothingElse() async throws {
    // Opened without O_CLOEXEC, as a library we do not control might.
    let inherited = open("/dev/null", O_RDONLY)
    defer { close(inherited) }
    let output = temporaryDirectory("child") + "/fds.txt"
    // `ls` opens one descriptor of its own to list the directory.
    let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], output: .file(output))
    #expect(await child.waitForExit() == 0)
    let listed = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { Int($0) }
    #expect(!listed.contains(Int(inherited)) && Set(listed).isSubset(of: [0, 1, 2, 3]), "descriptors open in the child: \(listed)")
}

@Test("a child's signal handlers are read from the kernel: none at first, SIGHUP once its trap is set, not an ignored one")
func childCatchesSignal() async throws {
    let marker = temporaryDirectory("child-trap") + "/trapped"
    let child = try ChildProcess(
        executable: "/bin/sh", arguments: ["-c", "trap '' USR1; sleep 0.3; trap 'exit 7' HUP; touch \(marker); exec sleep 30 & wait"])
    #expect(!child.catches(SIGHUP))
    for _ in 0..<200 where !FileManager.default.fileExists(atPath: marker) { try await Task.sleep(for: .milliseconds(20)) }
    #expect(child.catches(SIGHUP))
    #expect(!child.catches(SIGUSR1), "an ignored signal has no handler")
    #expect(!child.catches(0) && !child.catches(65))
    child.signal(SIGHUP)
    #expect(await child.waitForExit(timeout: .seconds(10)) == 7)
}

@Test("a cancelled wait ends its child: SIGTERM, then SIGKILL after the grace for one that ignores SIGTERM")
func cancelledWaitEndsTheChild() async throws {
    let marker = temporaryDirectory("child-stubborn") + "/trapped"
    let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "trap '' TERM; touch \(marker); while :; do sleep 0.05; done"])
    #expect(try await poll { FileManager.default.fileExists(atPath: marker) })
    let waiting = Task { await child.waitForExitEndingItIfCancelled(grace: .milliseconds(300)) }
    try await Task.sleep(for: .milliseconds(100))
    waiting.cancel()
    // Bounded, so that the test ends even when the wait would not.
    let status = try await withDeadline(.seconds(10)) { await waiting.value }
    #expect(status == 128 + SIGKILL)
    if status == nil { child.signal(SIGKILL) }
}

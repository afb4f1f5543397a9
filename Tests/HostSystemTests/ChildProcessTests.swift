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

import Foundation
import HostSystem

/// Runs blocking or CPU-bound work (serial I/O, a process to wait for, an RSA key to make) on a
/// thread of its own. This machine has two cooperative threads for every test of the process:
/// each one held starves the rest, and a 1 s timer was once noticed after 10 s.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}

/// Runs a system tool (openssl, mosquitto_pub: test peers nobody here wrote, or our binary) to
/// completion, waiting on a thread of its own: with both cooperative threads blocked, an
/// in-process peer the tool talks to (the test certificate authority) would never answer.
@discardableResult
public func runTool(_ tool: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await onOwnThread { try runToolBlocking(tool, arguments) }
}

private func runToolBlocking(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [tool] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A fresh directory under the temporary directory, named after the test.
public func temporaryDirectory(_ name: String = #function) -> String {
    let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(
        "sr-\(name.filter(\.isLetter).prefix(24))-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The checkout the tests are built from.
public let packageRoot = SourceCheckout.root(of: #filePath)!

/// The repository's DeviceProfiles directory.
public let deviceProfilesDirectory = packageRoot + "/DeviceProfiles"

/// Asks `condition` every `interval` until it holds (true) or `timeout` has passed (false).
public func poll(
    for timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(20), until condition: () -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: interval)
    }
    return true
}

import Foundation
import HostSystem

/// Runs a system tool (openssl, mosquitto_pub: test peers nobody here wrote, or our binary) to
/// completion. The wait happens on a thread of its own: blocking one of the two cooperative
/// threads of this machine could starve an in-process peer the tool talks to (the test
/// certificate authority), and with both blocked the suite would hang.
@discardableResult
public func runTool(_ tool: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try runToolBlocking(tool, arguments) }) }
    }
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

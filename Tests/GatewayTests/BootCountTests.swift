import Foundation
import Logging
import Synchronization
import TestSupport
import Testing

@testable import Gateway

/// A logger whose lines it keeps, one JSON object each.
private final class LogRecorder: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "test") { label in JSONLineLogHandler(label: label) { line in self.lines.withLock { $0.append(line) } } }
    }
    var recorded: [String] { lines.withLock { $0 } }
}

@Test(
    "a boot count that cannot continue starts again at 1 and says why; a good one continues",
    arguments: [
        ("9223372036854775807\n", 1, "cannot continue"),
        ("-5\n", 1, "cannot continue"),
        ("garbage\u{1B}[2J\n", 1, "does not hold a boot count"),
        ("", 1, "does not hold a boot count"),
        ("41\n", 42, nil),
    ])
func bootCountRepair(stored: String, expected: Int, warning: String?) throws {
    let state = DeviceStateDirectory(path: temporaryDirectory())
    try stored.write(toFile: state.file("bootcount"), atomically: true, encoding: .utf8)
    let recorder = LogRecorder()
    #expect(try state.nextBootCount(logger: recorder.logger) == expected)
    #expect(try String(contentsOfFile: state.file("bootcount"), encoding: .utf8) == "\(expected)\n")
    let logged = recorder.recorded
    if let warning {
        #expect(logged.count == 1 && logged[0].contains("\"warning\"") && logged[0].contains(warning), "\(logged)")
    } else {
        #expect(logged.isEmpty, "\(logged)")
    }
}

@Test("the first boot counts 1 without a warning")
func firstBootCount() throws {
    let state = DeviceStateDirectory(path: temporaryDirectory())
    let recorder = LogRecorder()
    #expect(try state.nextBootCount(logger: recorder.logger) == 1)
    #expect(recorder.recorded.isEmpty)
}

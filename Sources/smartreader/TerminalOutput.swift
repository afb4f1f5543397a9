import Foundation
import Gateway

/// Prints a line of what a device holds (a ConfigId, a broker's reason string, a tag ID): text
/// from outside, with control characters escaped so that it cannot drive the terminal.
func printEscaped(_ line: String) {
    print(LogLineEscaping.escapedForText(line))
}

/// One line on standard error, rewritten in place on a terminal, else a line each.
final class ProgressLine: Sendable {
    private let terminal = isatty(2) != 0

    func show(_ text: String) {
        FileHandle.standardError.write(Data((terminal ? "\r\u{1B}[K" + text : text + "\n").utf8))
    }

    func finish() { if terminal { FileHandle.standardError.write(Data("\n".utf8)) } }
}

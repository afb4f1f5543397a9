import Foundation
import Logging
import Synchronization
import Testing

@testable import Gateway

/// What a remote command, an inbox file name or a push's Source could carry into a log line.
private let forged = "open\n[fake] critical: all is lost\r\u{1B}[2J\u{9B}\u{202E}"

private func logged(through makeHandler: (@escaping @Sendable (String) -> Void) -> any LogHandler) -> [String] {
    let lines = Mutex<[String]>([])
    let handler = makeHandler { line in lines.withLock { $0.append(line) } }
    let logger = Logger(label: "smartreader") { _ in handler }
    logger.warning("command \(forged)", metadata: ["source": "\(forged)", "inbox": "a\nb"])
    return lines.withLock { $0 }
}

@Test("a text log line escapes newlines, carriage returns, ESC and bidirectional overrides in the message and the metadata")
func textLogEscapes() {
    let lines = logged { write in
        var handler = TextLineLogHandler(label: "smartreader", write: write)
        handler.logLevel = .trace
        return handler
    }
    #expect(lines.count == 1)
    let line = lines.first ?? ""
    #expect(line.hasSuffix("\n") && line.dropLast().allSatisfy { !$0.isNewline }, "\(line.debugDescription)")
    #expect(line.unicodeScalars.allSatisfy { !LogLineEscaping.isUnsafe($0) || $0 == "\n" }, "\(line.debugDescription)")
    #expect(line.contains(#"command open\n[fake] critical: all is lost\r\u{1B}[2J\u{9B}\u{202E}"#), "\(line)")
    #expect(line.contains(#" inbox=a\nb "#) && line.contains(" warning smartreader:"), "\(line)")
}

@Test("a JSON log line escapes the same characters and keeps their values for a JSON reader")
func jsonLogEscapes() throws {
    let lines = logged { write in
        var handler = JSONLineLogHandler(label: "smartreader", write: write)
        handler.logLevel = .trace
        return handler
    }
    #expect(lines.count == 1)
    let line = lines.first ?? ""
    #expect(line.hasSuffix("}\n") && line.dropLast().allSatisfy { !$0.isNewline }, "\(line.debugDescription)")
    #expect(line.unicodeScalars.allSatisfy { !LogLineEscaping.isUnsafe($0) || $0 == "\n" }, "\(line.debugDescription)")
    #expect(line.contains(#"\u001b[2J\u009b\u202e"#), "\(line)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
    #expect(object["message"] == "command \(forged)" && object["meta.source"] == forged && object["inbox"] == "a\nb")
}

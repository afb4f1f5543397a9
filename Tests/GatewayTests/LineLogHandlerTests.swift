import Foundation
import Logging
import Synchronization
import Testing

@testable import Gateway

@Test("--log-format json writes one JSON object a line, with level, label, message and metadata, escaped")
func jsonLogLines() throws {
    let lines = Mutex<[String]>([])
    var handler = JSONLineLogHandler(label: "smartreader") { line in lines.withLock { $0.append(line) } }
    handler.logLevel = .trace
    handler[metadataKey: "device"] = "DA1275B0"
    var logger = Logger(label: "smartreader") { _ in handler }
    logger.logLevel = .info
    logger.warning("tag \"04A1\" read\nsecond line", metadata: ["broker": "localhost:8883", "level": "shadowed"])
    logger.debug("below the level")
    let written = lines.withLock { $0 }
    #expect(written.count == 1 && written[0].hasSuffix("}\n") && written[0].dropLast().allSatisfy { $0 != "\n" })
    let object = try #require(try JSONSerialization.jsonObject(with: Data(written[0].utf8)) as? [String: String])
    #expect(object["level"] == "warning" && object["label"] == "smartreader" && object["message"] == "tag \"04A1\" read\nsecond line")
    #expect(object["device"] == "DA1275B0" && object["broker"] == "localhost:8883" && object["meta.level"] == "shadowed")
    #expect(object["time"].map { $0.hasSuffix("Z") && $0.contains(".") } == true, "\(object)")
}

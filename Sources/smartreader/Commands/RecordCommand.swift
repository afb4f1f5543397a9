import ArgumentParser
import Foundation
import TagReaders
import UnixSignals

struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record what a live reader sees as a trace (JSON Lines) that `replay` and `run --trace` play back.",
        discussion: "Each event is written and flushed as it arrives, so nothing is lost when recording stops (SIGINT, SIGTERM, --count).")

    @Option(name: .long, help: ArgumentHelp("The reader.", discussion: ReaderURI.acceptedForms))
    var reader: String

    @Option(name: .long, help: "The trace file to write (replaced if it exists).")
    var out: String

    @Option(name: .long, help: "Stop after this many events.")
    var count: Int?

    @OptionGroup var logging: LoggingOptions<NoticeAndWorse>

    func run() async throws {
        let logger = logging.makeLogger()
        let source = try ReaderURI(parsing: reader).makeSource(logger: logger)
        guard FileManager.default.createFile(atPath: out, contents: nil), let file = FileHandle(forWritingAtPath: out) else {
            throw ValidationError("cannot write \(out)")
        }
        defer { try? file.close() }
        try file.write(contentsOf: Data("# recorded by smartreader from \(reader)\n".utf8))
        let recording = Task {
            var recorded = 0
            var start: ContinuousClock.Instant?
            for await event in source {
                let now = ContinuousClock.now
                let offset = now - (start ?? now)
                start = start ?? now
                try file.write(contentsOf: Data((Trace.line(for: event, at: offset) + "\n").utf8))
                try file.synchronize()
                recorded += 1
                FileHandle.standardError.write(Data("\r\(recorded) events recorded".utf8))
                if let count, recorded >= count { break }
            }
            return recorded
        }
        let signals = Task {
            for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) {
                recording.cancel()
                return
            }
        }
        let recorded = try await recording.value
        signals.cancel()
        FileHandle.standardError.write(Data("\n".utf8))
        print("recorded \(recorded) events to \(out)")
    }
}

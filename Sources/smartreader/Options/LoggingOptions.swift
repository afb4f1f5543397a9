import ArgumentParser
import Gateway
import Logging

/// Log lines go to standard error so that a command's own output stays clean on standard output:
/// readable lines, or one JSON object a line for journald and log shippers.
func makeLogger(level: Logger.Level, format: LogFormat = .text) -> Logger {
    LoggingSystem.bootstrap { label in
        switch format {
        case .text:
            var handler = TextLineLogHandler(label: label)
            handler.logLevel = .trace
            return handler
        case .json:
            var handler = JSONLineLogHandler(label: label)
            handler.logLevel = .trace
            return handler
        }
    }
    var logger = Logger(label: "smartreader")
    logger.logLevel = level
    return logger
}

enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--log-level` and `--log-format`. The default level is the command's: a command that runs and
/// ends logs notices and worse, so that what it prints stays readable; the daemon (`run`) logs from
/// info, so that the journal shows each connection, reboot and reader.
struct LoggingOptions<DefaultLevel: DefaultLogLevel>: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = DefaultLevel.level

    @Option(name: .long, help: "Log lines as text, or json: one object a line (time, level, label, source, message, metadata).")
    var logFormat: LogFormat = .text

    func makeLogger() -> Logger { smartreader.makeLogger(level: logLevel, format: logFormat) }
}

protocol DefaultLogLevel {
    static var level: Logger.Level { get }
}

/// Commands that run and end.
enum NoticeAndWorse: DefaultLogLevel {
    static var level: Logger.Level { .notice }
}

/// The daemon.
enum InfoAndWorse: DefaultLogLevel {
    static var level: Logger.Level { .info }
}

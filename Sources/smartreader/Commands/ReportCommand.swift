import ArgumentParser
import DevelopmentTools
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Work with `smartreader simulate` reports.", subcommands: [Merge.self])

    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merge",
            abstract: "Make the shards' reports (`simulate --shard K/N --json`) into the fleet's report.",
            discussion: """
                Prints the fleet's report as `simulate` does and writes it as JSON in the same format: percentiles from the \
                shards' summed histograms, totals and errors by kind summed, connects and events per second over the common \
                window (the first shard's start to the last one's end), memory per device over all shards and the worst \
                shard's. Every shard of the fleet must be there once (or, with --allow-missing, at most once: the \
                others are reported as stopped early without a report), all written by the same smartreader format version.
                """)

        @Argument(help: "The shards' JSON reports, or directories holding them (every *.json in each).")
        var reports: [String]

        @Option(name: .long, help: "Write the fleet's report as JSON to this file (- for standard output, on one line).")
        var json: String?

        @Flag(
            name: .long,
            help: "Merge what there is when shards failed and left no report: they count as stopped early, none of their devices connected."
        )
        var allowMissing = false

        func run() throws {
            let report = try FleetReport.merged(FleetReport.load(paths: reports), allowingMissing: allowMissing)
            report.lines.forEach { print($0) }
            if let json {
                if json == "-" { print(report.jsonLine) } else { try Data((report.json + "\n").utf8).write(to: URL(fileURLWithPath: json)) }
            }
        }
    }
}

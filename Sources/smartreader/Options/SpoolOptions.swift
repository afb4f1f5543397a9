import ArgumentParser
import Spool

/// The spool's limits and what happens at them.
struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: "Most events the spool holds.")
    var spoolMaxEvents = SpoolLimits.standard.maximumEvents

    @Option(name: .long, help: ArgumentHelp("Most bytes (topic + payload) the spool holds: 65536, 64k, 16MiB, 1G.", valueName: "size"))
    var spoolMaxBytes = "16MiB"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Events waiting longer are dropped unsent and counted as expired: 90s, 15m, 12h, 7d, or none.", valueName: "age"))
    var spoolMaxAge = "7d"

    @Option(
        name: .long,
        help:
            "When the spool is full: hold (the reader waits, nothing is lost) or drop-oldest (the oldest unsent event goes, and is counted)."
    )
    var whenSpoolFull: FullPolicy = .holdReader

    @Flag(
        name: .long, help: "Add a Spool field (Depth, Dropped, Expired, OldestAge) to STATUS; an extension a real SpringPark does not send."
    )
    var statusSpool = false

    func validate() throws {
        guard spoolMaxEvents > 0 else { throw ValidationError("--spool-max-events must be at least 1") }
        guard SpoolLimits.parseBytes(spoolMaxBytes) != nil else {
            throw ValidationError("--spool-max-bytes \(spoolMaxBytes) is not a size; write e.g. 65536, 64k or 16MiB")
        }
        guard SpoolLimits.parseAge(spoolMaxAge) != nil else {
            throw ValidationError("--spool-max-age \(spoolMaxAge) is not an age; write e.g. 90s, 15m, 12h, 7d or none")
        }
    }

    var limits: SpoolLimits {
        SpoolLimits(
            maximumEvents: spoolMaxEvents, maximumBytes: SpoolLimits.parseBytes(spoolMaxBytes) ?? SpoolLimits.standard.maximumBytes,
            maximumAge: SpoolLimits.parseAge(spoolMaxAge) ?? SpoolLimits.standard.maximumAge, whenFull: whenSpoolFull)
    }
}

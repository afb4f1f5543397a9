import ArgumentParser
import TagReaders

/// How fast a trace plays: at a multiple of its own timing, or as fast as the broker acknowledges.
struct ReplaySpeedOptions: ParsableArguments {
    @Option(name: .long, help: "Replay speed: 2 plays twice as fast as recorded.")
    var speed: Double = 1

    @Flag(name: .long, help: "Ignore the trace's timing and send events as fast as the broker acknowledges them.")
    var fast = false

    func validate() throws {
        let speeds = TraceReplaySource.speeds
        guard speeds.contains(speed) else {
            throw ValidationError(
                "--speed must be from \(speeds.lowerBound) to \(Int(speeds.upperBound)), not \(speed); use --fast for no timing")
        }
    }

    var effectiveSpeed: Double? { fast ? nil : speed }
}

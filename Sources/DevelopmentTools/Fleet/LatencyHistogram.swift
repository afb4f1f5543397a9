import Histogram

/// A latency histogram as the reports carry it, to be merged exactly: the HdrHistogram's nonzero
/// buckets as `[value, count]` pairs, the value in microseconds, any value of its bucket (the
/// bucket's highest). The layout is `FleetStatistics.histogram()`'s (3 significant digits, 1 µs
/// to an hour) in every report of one format version, so adding the counts of equal values over
/// shards gives the histogram one process would have recorded.
public struct LatencyHistogram: Codable, Sendable, Equatable {
    public var counts: [[UInt64]]

    init(_ histogram: Histogram<UInt64>) {
        counts = histogram.recordedValues().map { [$0.value, $0.count] }
    }

    /// Records these counts into `histogram`; false when a pair is not `[value, count]` within its range.
    func add(to histogram: inout Histogram<UInt64>) -> Bool {
        counts.allSatisfy { pair in pair.count == 2 && histogram.record(pair[0], count: pair[1]) }
    }
}

/// The report's three latencies as histograms.
public struct LatencyHistograms: Codable, Sendable, Equatable {
    public var tlsHandshake: LatencyHistogram
    public var connAck: LatencyHistogram
    public var publishToPuback: LatencyHistogram
}

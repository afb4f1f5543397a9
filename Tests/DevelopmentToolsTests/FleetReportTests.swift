import Foundation
import Gateway
import MQTT
import Testing

@testable import DevelopmentTools

@Test("latency percentiles come from the HdrHistogram, in milliseconds, to its three significant digits")
func latencyPercentiles() {
    let statistics = FleetStatistics()
    for milliseconds in 1...100 { statistics.acknowledged(after: .milliseconds(milliseconds)) }
    statistics.acknowledged(after: .seconds(2))
    let summary = LatencySummary(statistics.snapshot.puback)
    #expect(summary.count == 101)
    #expect(abs(summary.p50 - 51) < 0.1, "\(summary.p50)")
    #expect(abs(summary.p95 - 96) < 0.1, "\(summary.p95)")
    #expect(abs(summary.p99 - 100) < 0.1, "\(summary.p99)")
    #expect(abs(summary.max - 2000) < 2, "\(summary.max)")
}

@Test("a session taken over: an MQTT 5 DISCONNECT says so, or the broker closes a connection 3 times within 30 s that came back each time")
func sessionTakenOver() {
    #expect(FleetSessionWatch().isTakenOver(after: MQTTConnectionError.disconnectedByBroker(.sessionTakenOver, reasonString: nil)))
    #expect(!FleetSessionWatch().isTakenOver(after: MQTTConnectionError.disconnectedByBroker(.serverShuttingDown, reasonString: nil)))
    let watch = FleetSessionWatch()
    let start = ContinuousClock.now
    let closed = MQTTConnectionError.closedByBroker
    #expect(!watch.isTakenOver(after: closed, at: start))
    #expect(!watch.isTakenOver(after: closed, at: start + .seconds(20)))
    #expect(!watch.isTakenOver(after: MQTTConnectionError.keepAliveTimeout(seconds: 60), at: start + .seconds(21)))
    // The first closure is more than 30 s old by now: two within the window.
    #expect(!watch.isTakenOver(after: closed, at: start + .seconds(40)))
    #expect(watch.isTakenOver(after: closed, at: start + .seconds(45)))
}

import Foundation
import HostSystem
import Logging

/// A live reader as a stream of tag events. The driver runs on a thread of its own; when the
/// device fails or disappears (unplugged), that is logged once and the device is reopened with
/// backoff until it comes back. Ends when the consumer stops iterating.
public struct LiveTagSource: AsyncSequence, Sendable {
    public typealias Element = TagEvent

    private let stream: AsyncStream<TagEvent>

    public init(driver: any TagSourceDriver, logger: Logger, maximumBackoff: Duration = .seconds(5)) {
        stream = ThreadFedStream.make(name: "reader \(driver.path)", bufferingPolicy: .bufferingOldest(10_000)) { emit, running in
            var delay = Duration.milliseconds(200)
            var lastProblem: String?
            while running() {
                let started = ContinuousClock.now
                do throws(ReaderError) {
                    try driver.run(emit: emit, running: running, log: { logger.info("\($0)") })
                    return
                } catch {
                    // A device that ran for a while and then failed starts a fresh backoff and is logged again.
                    if ContinuousClock.now - started > .seconds(2) {
                        delay = .milliseconds(200)
                        lastProblem = nil
                    }
                    let problem = error.description
                    // Logged once per kind of failure, so an unplugged reader does not flood the log.
                    if problem != lastProblem { logger.warning("\(problem)") }
                    lastProblem = problem
                }
                Thread.sleepBlocking(delay)
                delay = Swift.min(delay * 2, maximumBackoff)
            }
        }
    }

    public func makeAsyncIterator() -> AsyncStream<TagEvent>.Iterator { stream.makeAsyncIterator() }
}

import Foundation
import Logging
import Synchronization

/// A live reader as a stream of tag events. The driver runs on a thread of its own; when the
/// device fails or disappears (unplugged), that is logged once and the device is reopened with
/// backoff until it comes back. Ends when the consumer stops iterating.
public final class LiveTagSource: AsyncSequence, Sendable {
    public typealias Element = TagEvent

    private let stream: AsyncStream<TagEvent>
    private let running: Atomic<Bool>

    public init(driver: any TagSourceDriver, logger: Logger, maximumBackoff: Duration = .seconds(5)) {
        let (stream, continuation) = AsyncStream.makeStream(of: TagEvent.self, bufferingPolicy: .bufferingOldest(10_000))
        self.stream = stream
        running = Atomic(true)
        let thread = Thread { [self] in
            var delay = Duration.milliseconds(200)
            var lastProblem: String?
            while self.running.load(ordering: .relaxed) {
                let started = ContinuousClock.now
                do throws(ReaderError) {
                    try driver.run(
                        emit: { continuation.yield($0) }, running: { self.running.load(ordering: .relaxed) },
                        log: { logger.info("\($0)") })
                    break
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
            continuation.finish()
        }
        continuation.onTermination = { [self] _ in self.running.store(false, ordering: .relaxed) }
        thread.name = "reader \(driver.path)"
        thread.start()
    }

    public func makeAsyncIterator() -> AsyncStream<TagEvent>.Iterator { stream.makeAsyncIterator() }
}

@testable import Spool

extension Outbox {
    /// Up to `limit` events, waiting for at least one (or the end) as the MQTT session does:
    /// `takeBatch`, and the waker when it came back empty.
    func nextBatch(limit: Int) async -> [OutboxEvent] {
        while true {
            let (signals, signal) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            setWaker { signal.yield() }
            let batch = takeBatch(limit: limit)
            if !batch.isEmpty || isFinished || Task.isCancelled { return batch }
            var iterator = signals.makeAsyncIterator()
            _ = await iterator.next()
        }
    }
}

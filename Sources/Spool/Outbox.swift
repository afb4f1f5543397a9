/// An event formatted for the broker and waiting for its acknowledgement.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UInt64
    public let topic: String
    public let payload: [UInt8]
}

/// Events between the reader and the broker, in order. An event is taken out for sending by
/// `next()` but stays counted until `acknowledge` removes it, so `drained()` means "everything
/// read has reached the broker". When full, `append` waits: the reader is held back rather than
/// an event dropped. This outbox lives in memory; the durable spool replaces it behind the same
/// interface.
public actor Outbox {
    public let capacity: Int
    private var waiting: [OutboxEvent] = []
    private var waitingHead = 0
    private var unacknowledged: Set<UInt64> = []
    private var nextID: UInt64 = 1
    private var closed = false
    private var consumer: CheckedContinuation<OutboxEvent?, Never>?
    private var producers: [CheckedContinuation<Void, Never>] = []
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Events read and not yet acknowledged.
    public var depth: Int { unacknowledged.count }

    @discardableResult
    public func append(topic: String, payload: [UInt8]) async -> UInt64 {
        while unacknowledged.count >= capacity && !closed {
            await withCheckedContinuation { producers.append($0) }
        }
        let event = OutboxEvent(id: nextID, topic: topic, payload: payload)
        nextID += 1
        unacknowledged.insert(event.id)
        if let consumer {
            self.consumer = nil
            consumer.resume(returning: event)
        } else {
            waiting.append(event)
        }
        return event.id
    }

    /// The next event to send, waiting for one; nil once closed and empty.
    public func next() async -> OutboxEvent? {
        if let event = popWaiting() { return event }
        if closed { return nil }
        precondition(consumer == nil, "one consumer at a time")
        return await withCheckedContinuation { consumer = $0 }
    }

    public func acknowledge(_ id: UInt64) {
        guard unacknowledged.remove(id) != nil else { return }
        if !producers.isEmpty { producers.removeFirst().resume() }
        if unacknowledged.isEmpty {
            for waiter in drainWaiters { waiter.resume() }
            drainWaiters.removeAll()
        }
    }

    /// Returns once every appended event has been acknowledged.
    public func drained() async {
        if unacknowledged.isEmpty { return }
        await withCheckedContinuation { drainWaiters.append($0) }
    }

    /// No more events will be appended; `next()` returns nil once the queue is empty.
    public func close() {
        closed = true
        consumer?.resume(returning: nil)
        consumer = nil
        for producer in producers { producer.resume() }
        producers.removeAll()
    }

    private func popWaiting() -> OutboxEvent? {
        guard waitingHead < waiting.count else { return nil }
        let event = waiting[waitingHead]
        waitingHead += 1
        if waitingHead > 1024 && waitingHead * 2 > waiting.count {
            waiting.removeFirst(waitingHead)
            waitingHead = 0
        }
        return event
    }
}

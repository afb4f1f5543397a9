import Synchronization

/// An event formatted for the broker and waiting for its acknowledgement.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UInt64
    public let topic: String
    public let payload: [UInt8]
}

/// Events between the reader and the broker, in order. An event is handed out for sending by
/// `nextBatch` but stays counted until `acknowledge` removes it, so `drained()` means
/// "everything read has reached the broker". When full, `append` waits: the reader is held back
/// rather than an event dropped. This outbox lives in memory; the durable spool replaces it
/// behind the same interface.
///
/// A lock rather than an actor: acknowledgements arrive from the MQTT client's completion
/// handlers, tens of thousands a second, and are taken synchronously there.
public final class Outbox: Sendable {
    public let capacity: Int

    private struct State {
        var waiting: [OutboxEvent] = []
        var waitingHead = 0
        var unacknowledged: Set<UInt64> = []
        var nextID: UInt64 = 1
        var closed = false
        var consumer: CheckedContinuation<Void, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []

        var hasWaiting: Bool { waitingHead < waiting.count }
    }

    private let state = Mutex(State())

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    /// Events read and not yet acknowledged.
    public var depth: Int { state.withLock { $0.unacknowledged.count } }

    @discardableResult
    public func append(topic: String, payload: [UInt8]) async -> UInt64 {
        while true {
            let full = state.withLock { $0.unacknowledged.count >= capacity && !$0.closed }
            guard full else { break }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard state.unacknowledged.count >= capacity && !state.closed else { return true }
                    state.producers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
        let (id, consumer) = state.withLock { state -> (UInt64, CheckedContinuation<Void, Never>?) in
            let event = OutboxEvent(id: state.nextID, topic: topic, payload: payload)
            state.nextID += 1
            state.unacknowledged.insert(event.id)
            state.waiting.append(event)
            defer { state.consumer = nil }
            return (event.id, state.consumer)
        }
        consumer?.resume()
        return id
    }

    /// Up to `limit` events in order, waiting for at least one; empty once closed and empty, or
    /// when the calling task is cancelled (a device stopping for a reboot while the outbox stays open).
    public func nextBatch(limit: Int) async -> [OutboxEvent] {
        while !Task.isCancelled {
            let batch = state.withLock { state -> [OutboxEvent]? in
                if state.hasWaiting {
                    let end = min(state.waiting.count, state.waitingHead + limit)
                    let batch = Array(state.waiting[state.waitingHead..<end])
                    state.waitingHead = end
                    if state.waitingHead > 1024 && state.waitingHead * 2 > state.waiting.count {
                        state.waiting.removeFirst(state.waitingHead)
                        state.waitingHead = 0
                    }
                    return batch
                }
                return state.closed ? [] : nil
            }
            if let batch { return batch }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        guard !state.hasWaiting && !state.closed && !Task.isCancelled else { return true }
                        precondition(state.consumer == nil, "one consumer at a time")
                        state.consumer = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                state.withLock { state in
                    defer { state.consumer = nil }
                    return state.consumer
                }?.resume()
            }
        }
        return []
    }

    /// Puts events handed out but not delivered back at the head of the queue, in order, to be
    /// sent again (a connection closed under them for a reboot). Once the outbox is closed they
    /// are dropped instead and this returns false.
    @discardableResult
    public func giveBack(_ events: [OutboxEvent]) -> Bool {
        guard !events.isEmpty else { return true }
        let (kept, consumer) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            let pending = events.filter { state.unacknowledged.contains($0.id) }
            guard !state.closed else { return (false, nil) }
            state.waiting.removeFirst(state.waitingHead)
            state.waitingHead = 0
            // Given-back events are older than most waiting ones, so each insert point is near the head.
            for event in pending {
                let index = state.waiting.firstIndex { $0.id > event.id } ?? state.waiting.endIndex
                state.waiting.insert(event, at: index)
            }
            defer { state.consumer = nil }
            return (true, state.consumer)
        }
        consumer?.resume()
        if !kept { for event in events { acknowledge(event.id) } }
        return kept
    }

    public func acknowledge(_ id: UInt64) {
        let (producer, drained) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            guard state.unacknowledged.remove(id) != nil else { return (nil, []) }
            // A waiting reader resumes once a quarter of the outbox is free, with room for a run
            // of events, rather than once per acknowledgement.
            let roomy = state.unacknowledged.count <= capacity - max(1, capacity / 4)
            let producer = roomy && !state.producers.isEmpty ? state.producers.removeFirst() : nil
            guard state.unacknowledged.isEmpty else { return (producer, []) }
            defer { state.drainWaiters.removeAll() }
            return (producer, state.drainWaiters)
        }
        producer?.resume()
        for waiter in drained { waiter.resume() }
    }

    /// Returns once every appended event has been acknowledged.
    public func drained() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                guard !state.unacknowledged.isEmpty else { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// No more events will be appended; `nextBatch` returns empty once the queue is empty.
    public func close() {
        let (consumer, producers) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer {
                state.consumer = nil
                state.producers.removeAll()
            }
            return (state.consumer, state.producers)
        }
        consumer?.resume()
        for producer in producers { producer.resume() }
    }
}

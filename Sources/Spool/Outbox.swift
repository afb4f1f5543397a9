import Synchronization

/// An event formatted for the broker and waiting for its acknowledgement.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UInt64
    public let topic: String
    public let payload: [UInt8]
}

/// What a full outbox does with the next event.
public enum FullPolicy: String, Sendable, CaseIterable {
    /// `append` waits: the reader is held back and nothing is lost.
    case holdReader = "hold"
    /// The oldest event not yet handed out is dropped, and counted, to make room.
    case dropOldest = "drop-oldest"
}

/// Events between the reader and the broker, in order. An event is handed out for sending by
/// `nextBatch` but stays counted until `acknowledge` removes it, so `drained()` means
/// "everything read has reached the broker". With a `SpoolStore` every event is on disk before
/// `append` returns and stays there until acknowledged, so a restart sends it again first.
///
/// A lock rather than an actor: acknowledgements arrive from the MQTT client's completion
/// handlers, tens of thousands a second, and are taken synchronously there.
public final class Outbox: Sendable {
    public let capacity: Int
    public let policy: FullPolicy
    private let store: SpoolStore?
    /// Keeps the store's id order and the queue's order the same when producers race.
    private let insertion = Mutex(())
    private let flusher = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var waiting: [OutboxEvent] = []
        var waitingHead = 0
        var unacknowledged: Set<UInt64> = []
        var nextID: UInt64 = 1
        var closed = false
        var consumer: CheckedContinuation<Void, Never>?
        var producers: [CheckedContinuation<Void, Never>] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        var dropped = 0
        /// Acknowledged ids not yet deleted from the store; deleted in batches.
        var acknowledgedInStore: [UInt64] = []

        var hasWaiting: Bool { waitingHead < waiting.count }
    }

    private let state = Mutex(State())

    public init(capacity: Int = 10_000, policy: FullPolicy = .holdReader) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.policy = policy
        store = nil
    }

    /// A durable outbox: what `store` still holds from before (a restart) goes out first.
    public init(store: SpoolStore, capacity: Int = 10_000, policy: FullPolicy = .holdReader) throws(SpoolError) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.policy = policy
        self.store = store
        let pending = try store.pending().map(\.event)
        state.withLock { state in
            state.waiting = pending
            state.unacknowledged = Set(pending.map(\.id))
        }
        // Acknowledgements arrive on the MQTT client's threads, where a disk write does not
        // belong; they are written down here at most 200 ms later.
        let flusher = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                self?.flushAcknowledged()
            }
        }
        self.flusher.withLock { $0 = flusher }
    }

    deinit { flusher.withLock { $0?.cancel() } }

    /// Events read and not yet acknowledged.
    public var depth: Int { state.withLock { $0.unacknowledged.count } }
    /// Events dropped by the `dropOldest` policy since this outbox was made.
    public var dropped: Int { state.withLock { $0.dropped } }

    @discardableResult
    public func append(topic: String, payload: [UInt8]) async throws(SpoolError) -> UInt64 {
        if policy == .dropOldest { makeRoomByDropping() }
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
        return try insertion.withLock { _ throws(SpoolError) in
            let storedID = try store?.insert([(topic, payload)]).first
            return enqueue(topic: topic, payload: payload, storedID: storedID)
        }
    }

    private func makeRoomByDropping() {
        state.withLock { state in
            while state.unacknowledged.count >= capacity && state.hasWaiting {
                let oldest = state.waiting[state.waitingHead]
                state.waitingHead += 1
                state.unacknowledged.remove(oldest.id)
                state.dropped += 1
                if store != nil { state.acknowledgedInStore.append(oldest.id) }
            }
        }
    }

    private func enqueue(topic: String, payload: [UInt8], storedID: UInt64?) -> UInt64 {
        let (id, consumer) = state.withLock { state -> (UInt64, CheckedContinuation<Void, Never>?) in
            let event = OutboxEvent(id: storedID ?? state.nextID, topic: topic, payload: payload)
            state.nextID = max(state.nextID, event.id) + 1
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
    /// leave memory: a durable outbox keeps them on disk for the next start (true), an
    /// in-memory one loses them (false).
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
        guard !kept else { return true }
        if store != nil {
            state.withLock { state in for event in events { state.unacknowledged.remove(event.id) } }
            return true
        }
        for event in events { acknowledge(event.id) }
        return false
    }

    public func acknowledge(_ id: UInt64) {
        let (producer, drained) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            guard state.unacknowledged.remove(id) != nil else { return (nil, []) }
            if store != nil { state.acknowledgedInStore.append(id) }
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
        flushAcknowledged()
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
        flusher.withLock { $0?.cancel() }
        flushAcknowledged()
    }

    /// Deletes acknowledged events from the store in one transaction. A failure leaves them on
    /// disk, to be sent again after a restart: a duplicate, never a loss.
    public func flushAcknowledged() {
        guard let store else { return }
        let ids = state.withLock { state in
            defer { state.acknowledgedInStore.removeAll(keepingCapacity: true) }
            return state.acknowledgedInStore
        }
        if (try? store.delete(ids)) == nil { state.withLock { $0.acknowledgedInStore += ids } }
    }
}

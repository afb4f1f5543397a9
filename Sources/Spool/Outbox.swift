import Dispatch
import Foundation
import Logging
import Synchronization

/// Events between the reader and the broker, in order. An event is handed out for sending by
/// `nextBatch` but stays counted until `acknowledge` removes it, so `drained()` means
/// "everything read has reached the broker".
///
/// With a `SpoolStore`, writes are group commits: `append` stages an event and returns at once,
/// and one writer puts everything staged meanwhile (and deletes everything acknowledged) in one
/// transaction, one fsync, while the reader goes on. The publisher only ever sees committed
/// events, so nothing reaches the broker that a restart could forget; what a SIGKILL can take
/// is the events of the commit in progress, read less than one fsync earlier.
///
/// A lock rather than an actor: acknowledgements arrive from the MQTT client's completion
/// handlers, tens of thousands a second, and are taken synchronously there.
public final class Outbox: Sendable {
    public let limits: SpoolLimits
    private let store: SpoolStore?
    private let logger: Logger
    /// The one writer: commits run here, in order, off the reader's and publisher's threads.
    private let writer = DispatchQueue(label: "smartreader.spool.writer")

    private struct State {
        var queue: OutboxQueue
        var closed = false
        /// The consumer found nothing waiting and is to be woken once something is (or the outbox finishes).
        var consumerWaiting = false
        var waker: (@Sendable () -> Void)?
        var producers: [CheckedContinuation<Void, Never>] = []
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
        /// A commit round is queued or running, and will see anything staged now.
        var commitQueued = false
        /// A deferred round for acknowledgements alone is queued.
        var deletionQueued = false
        var failing = false
        var lossesLogged = SpoolLosses()
        var lossesLoggedAt = ContinuousClock.now - .seconds(60)

        /// Drops or expiries not yet logged: checked under the lock the caller holds anyway, so
        /// that the common case (nothing let go) costs no second lock per event.
        var hasUnloggedLosses: Bool {
            (queue.losses.dropped, queue.losses.expired) != (lossesLogged.dropped, lossesLogged.expired)
        }

        /// Closed, and every event read is committed: nothing more will become waiting. An event
        /// taken by a commit round is no longer staged but not yet waiting; `commitQueued` covers it.
        var finished: Bool { closed && queue.staged.isEmpty && !commitQueued }

        /// The waker to call, once, now that the consumer has something to take.
        mutating func wakeConsumer() -> (@Sendable () -> Void)? {
            guard consumerWaiting else { return nil }
            consumerWaiting = false
            return waker
        }
    }

    private let state: Mutex<State>

    public init(limits: SpoolLimits = .standard, logger: Logger = Logger(label: "smartreader.spool")) {
        self.limits = limits
        self.logger = logger
        store = nil
        state = Mutex(State(queue: OutboxQueue(limits: limits, durable: false)))
    }

    /// A durable outbox: what `store` still holds from before (a restart) goes out first.
    public init(store: SpoolStore, limits: SpoolLimits = .standard, logger: Logger = Logger(label: "smartreader.spool")) throws(SpoolError)
    {
        self.limits = limits
        self.logger = logger
        self.store = store
        let contents = try store.contents()
        state = Mutex(
            State(
                queue: OutboxQueue(
                    limits: limits, durable: true, pending: contents.events, refused: contents.refused, nextID: contents.nextID,
                    losses: contents.losses),
                lossesLogged: contents.losses))
    }

    /// Whether events outlive the process: refused ones wait on disk for the operator.
    public var isDurable: Bool { store != nil }

    /// Events read and not yet acknowledged.
    public var depth: Int { state.withLock { $0.queue.depth } }
    /// Events dropped by the drop-oldest policy, since the spool was created.
    public var dropped: Int { state.withLock { $0.queue.losses.dropped } }
    public var report: SpoolReport { state.withLock { $0.queue.report } }

    /// Takes an event, holding the caller while the spool is full under the hold policy.
    @discardableResult
    public func append(topic: String, payload: [UInt8]) async -> UInt64 {
        await append(topic: topic) { _ in payload }
    }

    /// Takes an event whose payload carries its own id: `payload` is made with the id the event
    /// gets, under the outbox's lock, so it should be quick.
    @discardableResult
    public func append(topic: String, payload makePayload: (UInt64) -> [UInt8]) async -> UInt64 {
        var size = 0
        while true {
            let added = state.withLock {
                state -> (event: OutboxEvent, consumer: (@Sendable () -> Void)?, commit: Bool, losses: Bool)? in
                let payload = makePayload(state.queue.upcomingID)
                size = OutboxEvent.size(topic: topic, payload: payload)
                let now = Date()
                guard state.closed || state.queue.makeRoom(for: size, now: now) else { return nil }
                let event = state.queue.add(topic: topic, payload: payload, now: now)
                let commit = store != nil && !state.commitQueued
                if commit { state.commitQueued = true }
                return (event, store == nil ? state.wakeConsumer() : nil, commit, state.hasUnloggedLosses)
            }
            if let added {
                added.consumer?()
                if added.commit { writer.async { self.commitRound() } }
                if added.losses { logLosses() }
                return added.event.id
            }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    let couldDrop = limits.whenFull == .dropOldest && state.queue.hasWaiting
                    guard !state.closed && !state.queue.fits(size) && !couldDrop else { return true }
                    state.producers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Who to call once events wait after `takeBatch` came back empty: the one consumer's way
    /// to be woken without a task waiting on the outbox. Called on the thread that made the
    /// events available, under no lock; it should only schedule work.
    public func setWaker(_ waker: @escaping @Sendable () -> Void) {
        state.withLock { $0.waker = waker }
    }

    /// Up to `limit` events in order, now. Empty when none wait; the waker is then called once
    /// some do, or once the outbox has finished.
    public func takeBatch(limit: Int) -> [OutboxEvent] {
        let (batch, losses) = state.withLock { state -> ([OutboxEvent], Bool) in
            state.queue.expire(now: Date())
            guard state.queue.hasWaiting else {
                state.consumerWaiting = !state.finished
                return ([], state.hasUnloggedLosses)
            }
            return (state.queue.takeBatch(limit: limit), state.hasUnloggedLosses)
        }
        if losses { logLosses() }
        return batch
    }

    /// Closed, and everything read has been handed out: `takeBatch` has nothing more to give.
    public var isFinished: Bool { state.withLock { $0.finished && !$0.queue.hasWaiting } }

    /// Puts events handed out but not delivered back at the head of the queue, in order, to be
    /// sent again (a connection closed under them for a reboot). Once the outbox is closed they
    /// leave memory: a durable outbox keeps them on disk for the next start (true), an
    /// in-memory one loses them (false).
    @discardableResult
    public func giveBack(_ events: [OutboxEvent]) -> Bool {
        guard !events.isEmpty else { return true }
        let (kept, consumer) = state.withLock { state -> (Bool, (@Sendable () -> Void)?) in
            guard !state.closed else { return (false, nil) }
            state.queue.giveBack(events)
            return (true, state.wakeConsumer())
        }
        consumer?()
        guard !kept else { return true }
        if store != nil {
            state.withLock { state in for event in events { state.queue.forget(event.id, keepingStored: true) } }
            return true
        }
        for event in events { acknowledge(event.id) }
        return false
    }

    public func acknowledge(_ id: UInt64) {
        settle { $0.forget(id) }
    }

    /// Acknowledges several events under one lock, as a batch of PUBACKs brings them.
    public func acknowledge(_ ids: [UInt64]) {
        settle { queue in ids.reduce(false) { queue.forget($1) || $0 } }
    }

    /// The broker answered `event` with a failure reason code: it is not delivered, so it stays
    /// in the spool, held (not sent again by itself: the broker would refuse it again) until
    /// `retryRefused` or `discardRefused`.
    public func refuse(_ event: OutboxEvent) {
        settle { $0.refuse(event) }
    }

    /// Puts the refused events back in line, oldest first, once the operator has fixed what made
    /// the broker refuse them; returns how many.
    public func retryRefused() -> Int {
        let (count, consumer, commit) = state.withLock { state -> (Int, (@Sendable () -> Void)?, Bool) in
            let count = state.queue.retryRefused()
            guard count > 0 else { return (0, nil, false) }
            return (count, state.wakeConsumer(), queueCommit(&state))
        }
        consumer?()
        if commit { writer.async { self.commitRound() } }
        return count
    }

    /// Lets the refused events go, counted as discarded; returns how many.
    public func discardRefused() -> Int {
        let (count, commit) = state.withLock { state in
            let count = state.queue.discardRefused()
            return (count, count > 0 && queueCommit(&state))
        }
        if commit { writer.async { self.commitRound() } }
        return count
    }

    /// Whether the caller must start a commit round: none is queued yet for a durable outbox.
    private func queueCommit(_ state: inout State) -> Bool {
        guard store != nil && !state.commitQueued else { return false }
        state.commitQueued = true
        return true
    }

    /// An event leaves the count (`change` false: it had already left): wakes a held reader and
    /// the drain waiters, and has the store learn it.
    private func settle(_ change: (inout OutboxQueue) -> Bool) {
        let (producer, drained, deletion) = state.withLock {
            state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>], Bool) in
            guard change(&state.queue) else { return (nil, [], false) }
            let producer = state.queue.isRoomy && !state.producers.isEmpty ? state.producers.removeFirst() : nil
            // Deletions ride along with the next commit; alone, they wait 200 ms to gather.
            let deletion = store != nil && !state.commitQueued && !state.deletionQueued
            if deletion { state.deletionQueued = true }
            guard state.queue.depth == 0 else { return (producer, [], deletion) }
            defer { state.drainWaiters.removeAll() }
            return (producer, state.drainWaiters, deletion)
        }
        producer?.resume()
        for waiter in drained { waiter.resume() }
        if deletion {
            writer.asyncAfter(deadline: .now() + .milliseconds(200)) {
                self.state.withLock { $0.deletionQueued = false }
                self.commitRound()
            }
        }
    }

    /// Returns once every appended event has been acknowledged, and its deletion written.
    public func drained() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                guard state.queue.depth > 0 else { return true }
                state.drainWaiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        await flush()
    }

    /// Writes what is staged and deletes what is acknowledged, now.
    public func flush() async {
        guard store != nil else { return }
        await withCheckedContinuation { continuation in
            writer.async {
                self.commitRound()
                continuation.resume()
            }
        }
    }

    /// No more events will be appended; `isFinished` once the queue is empty.
    /// What is staged is committed first, so closing loses nothing read.
    public func close() {
        let (consumer, producers) = state.withLock { state -> ((@Sendable () -> Void)?, [CheckedContinuation<Void, Never>]) in
            state.closed = true
            defer { state.producers.removeAll() }
            return (state.wakeConsumer(), state.producers)
        }
        consumer?()
        for producer in producers { producer.resume() }
        if store != nil { writer.sync { commitRound() } }
    }

    /// Commits until nothing is left to commit. Runs on `writer` only. A failed commit keeps
    /// everything in memory, still counted against the limits, and is tried again a second later.
    private func commitRound() {
        guard let store else { return }
        while true {
            let (next, finishedConsumer) = state.withLock { state -> (SpoolCommit?, (@Sendable () -> Void)?) in
                let commit = state.queue.takeCommit()
                guard commit == nil else { return (commit, nil) }
                state.commitQueued = false
                // A closed outbox's consumer waits for this moment to learn that nothing more comes.
                guard state.finished else { return (nil, nil) }
                return (nil, state.wakeConsumer())
            }
            guard let commit = next else {
                finishedConsumer?()
                return
            }
            do {
                try store.commit(commit)
            } catch {
                let firstFailure = state.withLock { state in
                    state.queue.commitFailed(commit)
                    state.commitQueued = true
                    defer { state.failing = true }
                    return !state.failing
                }
                if firstFailure {
                    logger.critical("\(error); \(commit.inserts.count) events wait in memory and are tried again every second")
                }
                writer.asyncAfter(deadline: .now() + .seconds(1)) { self.commitRound() }
                return
            }
            let (consumer, producers, recovered) = state.withLock {
                state -> ((@Sendable () -> Void)?, [CheckedContinuation<Void, Never>], Bool) in
                state.queue.committed(commit)
                defer { state.failing = false }
                let consumer = commit.inserts.isEmpty ? nil : state.wakeConsumer()
                // Under drop-oldest a held reader can now drop what just became droppable.
                let producers = limits.whenFull == .dropOldest ? state.producers : []
                if !producers.isEmpty { state.producers.removeAll() }
                return (consumer, producers, state.failing)
            }
            if recovered { logger.notice("the spool is written again") }
            consumer?()
            for producer in producers { producer.resume() }
        }
    }

    /// Warns about events let go, at most every 10 s, so a full spool is seen without flooding the log.
    private func logLosses() {
        let news = state.withLock { state -> (SpoolLosses, SpoolReport)? in
            // Refusals are logged where they happen, one by one, with the broker's reason.
            guard state.hasUnloggedLosses, ContinuousClock.now - state.lossesLoggedAt >= .seconds(10) else { return nil }
            state.lossesLogged = state.queue.losses
            state.lossesLoggedAt = .now
            return (state.queue.losses, state.queue.report)
        }
        guard let (losses, report) = news else { return }
        logger.warning(
            "spool limits (\(limits.maximumEvents) events, \(limits.maximumBytes) bytes, policy \(limits.whenFull.rawValue)): \(losses.dropped) events dropped, \(losses.expired) expired so far; \(report.depth) wait"
        )
    }
}

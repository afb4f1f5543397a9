import Foundation

/// An event formatted for the broker and waiting for its acknowledgement.
public struct OutboxEvent: Sendable, Equatable {
    public let id: UInt64
    public let topic: String
    public let payload: [UInt8]
    /// When it was read: the age bound counts from here, across restarts.
    public let stored: Date

    public init(id: UInt64, topic: String, payload: [UInt8], stored: Date) {
        self.id = id
        self.topic = topic
        self.payload = payload
        self.stored = stored
    }

    /// What the byte bound counts.
    public var size: Int { Self.size(topic: topic, payload: payload) }

    static func size(topic: String, payload: [UInt8]) -> Int { topic.utf8.count + payload.count }
}

/// The outbox's bookkeeping, without locks, threads or disk: which events are staged (read,
/// not yet on disk), waiting (on disk, not yet handed to the publisher) or in flight (handed
/// out, not yet acknowledged), refused (answered by the broker with a failure reason code, held
/// for the operator), and what the limits let go. Every event counts against the limits from
/// `add` until acknowledged or refused; refused events have their own bound, the event limit.
struct OutboxQueue {
    let limits: SpoolLimits
    let durable: Bool
    /// Read into a durable outbox and not yet committed: the publisher never sees these.
    private(set) var staged: [OutboxEvent] = []
    private var waiting: [OutboxEvent] = []
    private var waitingHead = 0
    private var unacknowledged: [UInt64: (size: Int, stored: Date)] = [:]
    private(set) var bytes = 0
    private var nextID: UInt64
    /// Since the spool was created; `unsaved` is the part not yet written to the store.
    private(set) var losses: SpoolLosses
    private var unsavedLosses = SpoolLosses()
    /// Acknowledged (or dropped) ids still in the store, deleted with the next commit.
    private var settled: [UInt64] = []
    /// Refused by the broker, oldest first: not sent again until the operator asks (the broker
    /// would refuse them again on every reconnect).
    private(set) var refused: [OutboxEvent] = []
    /// Ids whose refused mark changed since the last commit: true refused, false put back.
    private var unsavedMarks: [UInt64: Bool] = [:]

    init(
        limits: SpoolLimits, durable: Bool, pending: [OutboxEvent] = [], refused: [OutboxEvent] = [], nextID: UInt64 = 1,
        losses: SpoolLosses = SpoolLosses()
    ) {
        self.limits = limits
        self.durable = durable
        self.losses = losses
        self.nextID = max(nextID, max(pending.last?.id ?? 0, refused.last?.id ?? 0) + 1)
        waiting = pending
        self.refused = refused
        for event in pending { count(event) }
    }

    var depth: Int { unacknowledged.count }
    var hasWaiting: Bool { waitingHead < waiting.count }
    var oldestStored: Date? { unacknowledged.min { $0.key < $1.key }?.value.stored }

    /// Whether an event of `size` bytes fits; an event alone always fits, or it could never go.
    func fits(_ size: Int) -> Bool {
        unacknowledged.isEmpty || (depth < limits.maximumEvents && bytes + size <= limits.maximumBytes)
    }

    /// Whether a held reader may resume: a quarter of the spool free, room for a run of events
    /// rather than one at a time.
    var isRoomy: Bool {
        depth <= limits.maximumEvents - max(1, limits.maximumEvents / 4) && bytes <= limits.maximumBytes - limits.maximumBytes / 4
    }

    /// Expires what is too old, then, under drop-oldest, drops waiting events until `size` fits.
    mutating func makeRoom(for size: Int, now: Date) -> Bool {
        expire(now: now)
        if limits.whenFull == .dropOldest {
            while !fits(size) && hasWaiting { letGoOfHead(\.dropped) }
        }
        return fits(size)
    }

    mutating func expire(now: Date) {
        guard let maximumAge = limits.maximumAge else { return }
        let cutoff = now.addingTimeInterval(-Double(maximumAge.components.seconds))
        while hasWaiting && waiting[waitingHead].stored < cutoff { letGoOfHead(\.expired) }
    }

    private mutating func letGoOfHead(_ reason: WritableKeyPath<SpoolLosses, Int>) {
        let event = waiting[waitingHead]
        waitingHead += 1
        forget(event.id)
        note(reason, 1)
    }

    /// The id the next `add` gives.
    var upcomingID: UInt64 { nextID }

    mutating func add(topic: String, payload: [UInt8], now: Date) -> OutboxEvent {
        let event = OutboxEvent(id: nextID, topic: topic, payload: payload, stored: now)
        nextID += 1
        count(event)
        if durable { staged.append(event) } else { waiting.append(event) }
        return event
    }

    private mutating func count(_ event: OutboxEvent) {
        unacknowledged[event.id] = (event.size, event.stored)
        bytes += event.size
    }

    /// Removes `id` from the count, and from the store with the next commit unless it is to stay
    /// there for the next start; false if it was not counted (already acknowledged or dropped).
    @discardableResult
    mutating func forget(_ id: UInt64, keepingStored: Bool = false) -> Bool {
        guard let entry = unacknowledged.removeValue(forKey: id) else { return false }
        bytes -= entry.size
        if durable && !keepingStored { settled.append(id) }
        return true
    }

    func isCounted(_ id: UInt64) -> Bool { unacknowledged[id] != nil }

    // MARK: Refused events

    /// The broker refused `event`: it leaves the count and is held, marked in the store. Over the
    /// event limit the oldest refused event goes, counted. False if it was not counted.
    @discardableResult
    mutating func refuse(_ event: OutboxEvent) -> Bool {
        guard forget(event.id, keepingStored: true) else { return false }
        let index = refused.firstIndex { $0.id > event.id } ?? refused.endIndex
        refused.insert(event, at: index)
        if durable { unsavedMarks[event.id] = true }
        note(\.refused, 1)
        while refused.count > limits.maximumEvents {
            let oldest = refused.removeFirst()
            if durable { settled.append(oldest.id) }
            note(\.refusedDropped, 1)
        }
        return true
    }

    /// Puts every refused event back in line to be sent, in id order; returns how many.
    mutating func retryRefused() -> Int {
        let events = refused
        refused.removeAll()
        for event in events {
            count(event)
            if durable { unsavedMarks[event.id] = false }
        }
        giveBack(events)
        return events.count
    }

    /// Lets every refused event go, counted as discarded; returns how many.
    mutating func discardRefused() -> Int {
        let count = refused.count
        if durable { settled += refused.map(\.id) }
        refused.removeAll()
        note(\.discarded, count)
        return count
    }

    private mutating func note(_ counter: WritableKeyPath<SpoolLosses, Int>, _ count: Int) {
        losses[keyPath: counter] += count
        unsavedLosses[keyPath: counter] += count
    }

    mutating func takeBatch(limit: Int) -> [OutboxEvent] {
        let end = min(waiting.count, waitingHead + limit)
        let batch = Array(waiting[waitingHead..<end])
        waitingHead = end
        if waitingHead == waiting.count {
            // Handed out events leave memory now, not after 1,024 more: a quiet device would
            // otherwise hold its last thousand payloads.
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
        } else if waitingHead > 1024 && waitingHead * 2 > waiting.count {
            compact()
        }
        return batch
    }

    private mutating func compact() {
        waiting.removeFirst(waitingHead)
        waitingHead = 0
    }

    /// Puts counted events back in id order; given-back events are older than most waiting
    /// ones, so each insert point is near the head.
    mutating func giveBack(_ events: [OutboxEvent]) {
        compact()
        for event in events where isCounted(event.id) {
            let index = waiting.firstIndex { $0.id > event.id } ?? waiting.endIndex
            waiting.insert(event, at: index)
        }
    }

    // MARK: Commits (durable outbox)

    /// Everything the store has to learn, taken out of the queue; nil when there is nothing.
    mutating func takeCommit() -> SpoolCommit? {
        guard !staged.isEmpty || !settled.isEmpty || !unsavedLosses.isEmpty || !unsavedMarks.isEmpty else { return nil }
        defer {
            staged.removeAll(keepingCapacity: true)
            settled.removeAll(keepingCapacity: true)
            unsavedLosses = SpoolLosses()
            unsavedMarks.removeAll()
        }
        // A mark without its event in `refused` is of an event let go since: `settled` has it.
        let refusals = unsavedMarks.compactMap { id, refused in refused ? heldEvent(id) : nil }
        return SpoolCommit(inserts: staged, deletes: settled, losses: unsavedLosses, refusedMarks: unsavedMarks, refusals: refusals)
    }

    /// The refused event `id`, if still held.
    private func heldEvent(_ id: UInt64) -> OutboxEvent? {
        var (low, high) = (0, refused.count)
        while low < high {
            let middle = (low + high) / 2
            if refused[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low < refused.count && refused[low].id == id ? refused[low] : nil
    }

    /// The commit is on disk: its events may go to the broker. They are newer than every
    /// waiting event (ids are given in order and staged events commit in order).
    mutating func committed(_ commit: SpoolCommit) {
        waiting += commit.inserts.filter { isCounted($0.id) }
    }

    /// The commit failed: everything goes back, to be tried again.
    mutating func commitFailed(_ commit: SpoolCommit) {
        staged = commit.inserts + staged
        settled = commit.deletes + settled
        unsavedLosses = commit.losses + unsavedLosses
        // A mark changed again since this commit was taken is the one that counts.
        unsavedMarks = commit.refusedMarks.merging(unsavedMarks) { _, newer in newer }
    }

    var report: SpoolReport {
        SpoolReport(depth: depth, bytes: bytes, oldestStored: oldestStored, losses: losses, refused: refused.count)
    }
}

/// One transaction's worth of spool changes.
public struct SpoolCommit: Sendable {
    public var inserts: [OutboxEvent]
    public var deletes: [UInt64]
    public var losses: SpoolLosses
    /// Events refused (true) or put back to be sent (false) since the last commit.
    public var refusedMarks: [UInt64: Bool] = [:]
    /// The refused events still held, to be kept on rows of their own.
    public var refusals: [OutboxEvent] = []

    /// Refused events put back in line to be sent.
    var retries: [UInt64] { refusedMarks.filter { !$0.value }.map(\.key) }
}

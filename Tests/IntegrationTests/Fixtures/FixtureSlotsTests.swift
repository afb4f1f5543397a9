import Synchronization
import TestSupport
import Testing

/// What the bodies holding slots saw: the weight held at once, its most, and who started when.
private final class SlotRecord: Sendable {
    let held = Mutex(0)
    let most = Mutex(0)
    let started = Mutex<[String]>([])

    struct Failure: Error {}

    func hold(_ name: String, weight: Int, throwing: Bool, in slots: FixtureSlots) async throws {
        // What the slots count: a weight above the capacity is the whole capacity.
        let counted = min(weight, slots.capacity)
        try await slots.run(weight: weight) {
            let now = held.withLock {
                $0 += counted; return $0
            }
            most.withLock { $0 = max($0, now) }
            started.withLock { $0.append(name) }
            try await Task.sleep(for: .milliseconds(100))
            held.withLock { $0 -= counted }
            if throwing { throw Failure() }
        }
    }
}

@Test("fixture slots: never more weight at once than the capacity, first come first served, a slot freed when a body throws")
func fixtureSlotsBoundAndOrder() async throws {
    let slots = FixtureSlots(capacity: 3)
    let record = SlotRecord()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for name in ["a", "b"] { group.addTask { try? await record.hold(name, weight: 1, throwing: name == "a", in: slots) } }
        #expect(try await poll { record.started.withLock { $0.count } == 2 })
        // Each of the rest arrives once the one before waits: "c" would fit beside "a" and "b",
        // but "heavy" came first; "huge" asks for more than there is and gets all of it.
        for (index, (name, weight)) in [("heavy", 3), ("c", 1), ("huge", 9)].enumerated() {
            group.addTask { try? await record.hold(name, weight: weight, throwing: false, in: slots) }
            for _ in 0..<500 where await slots.waitingCount < index + 1 && record.started.withLock({ $0.count }) < 3 + index {
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        try await group.waitForAll()
    }
    #expect(record.most.withLock { $0 } <= 3)
    #expect(record.started.withLock { $0 } == ["a", "b", "heavy", "c", "huge"])
}

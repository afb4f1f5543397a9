import Synchronization

/// A count shared with the MQTT client's completion handlers, which run outside the actor.
final class EventCounter: Sendable {
    private let count = Atomic<Int>(0)

    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

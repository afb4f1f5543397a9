import Synchronization

/// Whether the session holds an accepted connection, as its event loop sees it: up from the
/// CONNACK (when the greeting goes out) until the connection is lost. Readable from any thread
/// without waiting for the client actor, which learns of both moments a little later.
final class MQTTLinkState: Sendable {
    private let up = Atomic(false)

    var isUp: Bool { up.load(ordering: .acquiring) }

    func set(_ isUp: Bool) { up.store(isUp, ordering: .releasing) }
}

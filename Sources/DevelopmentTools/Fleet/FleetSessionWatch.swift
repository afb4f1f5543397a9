import MQTT
import Synchronization

/// Tells, from one device's lost connections, that another client with its client ID takes its
/// session: in a fleet, another process running the same devices (the same shard twice), the two
/// taking each other's sessions on every reconnection for the whole run. An MQTT 5 broker says so
/// (DISCONNECT 0x8E, session taken over); mosquitto before 2.0.15, and any broker over MQTT 3.1.1,
/// only closes the connection. The broker closing a connection that was up, `closures` times within
/// `window`, the device connecting again at once each time, is taken for the same: a broker restart
/// closes it once and then refuses for a while, and nothing else closes a healthy device's connection
/// over and over while accepting it back.
final class FleetSessionWatch: Sendable {
    static let closures = 3
    static let windowSeconds = 30
    static let window = Duration.seconds(windowSeconds)

    private let closedAt = Mutex<[ContinuousClock.Instant]>([])

    /// Whether this lost connection shows the session taken over.
    func isTakenOver(after error: any Error, at now: ContinuousClock.Instant = .now) -> Bool {
        switch error as? MQTTConnectionError {
        case .disconnectedByBroker(let code, _)? where code == .sessionTakenOver:
            return true
        case .closedByBroker?:
            return closedAt.withLock { closedAt in
                closedAt.removeAll { now - $0 > Self.window }
                closedAt.append(now)
                return closedAt.count >= Self.closures
            }
        default:
            return false
        }
    }
}

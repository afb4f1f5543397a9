import Testing

@testable import MQTT

@Test(
    "a broker that accepted 5.0 vouches for one failed attempt only: another broker behind the address (a failover, a migration) gets 3.1.1"
)
func brokerBehindTheAddressChanges() {
    var negotiation = MQTTVersionNegotiation(configured: .v5, mayFallBack: true)
    #expect(negotiation.record(.connAck) == .keepGoing)
    // The broker went away (connection refused), and a 3.1.1-only one answers on its port, silently.
    #expect(negotiation.record(.otherFailure) == .keepGoing)
    #expect(negotiation.record(.noConnAck(.silentAfterConnect)) == .retryNow(.silentAfterConnect))
    #expect(negotiation.version == .v3_1_1)
    #expect(negotiation.record(.connAck) == .learnt(.silentAfterConnect))

    // Straight after a 5.0 session, one close is about something else; a second one may be a new broker.
    var again = MQTTVersionNegotiation(configured: .v5, mayFallBack: true)
    _ = again.record(.connAck)
    #expect(again.record(.noConnAck(.closedWithoutConnAck)) == .keepGoing)
    #expect(again.record(.noConnAck(.closedWithoutConnAck)) == .retryNow(.closedWithoutConnAck))
}

@Test("the backoff starts again only after a connection that stood for its ceiling: accept-then-drop does not make a reconnect storm")
func backoffAfterShortConnections() {
    let backoff = ReconnectBackoff(initial: .milliseconds(500), ceiling: .seconds(30))
    #expect(backoff.attempt(after: 4, connectionLasted: nil) == 4, "a failed attempt keeps counting")
    #expect(backoff.attempt(after: 4, connectionLasted: .milliseconds(50)) == 4, "a connection dropped at once keeps counting")
    #expect(backoff.attempt(after: 4, connectionLasted: .seconds(30)) == 0)
    #expect(backoff.delay(attempt: backoff.attempt(after: 6, connectionLasted: .seconds(1))) >= .seconds(15))
}

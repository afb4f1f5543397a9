import Foundation
import MQTT
import NIOCore
import NIOEmbedded
import Synchronization

/// A broker played in memory, for tests of the running device without mosquitto: each
/// connection the device's MQTT client opens is an `NIOAsyncTestingChannel` on `loop` (the
/// device's event loop), answered as a broker answers (CONNACK, SUBACK, PUBACK, PINGRESP), and
/// what the device publishes is kept per connection. The client's timers run on `loop`, whose
/// time moves only when a test moves it (`advance(until:)`).
final class TestingBroker: Sendable {
    /// One connection as the broker saw it.
    struct Connection: Sendable {
        fileprivate let channel: NIOAsyncTestingChannel
        var published: [PublishPacket] = []
        var subscribed: [String] = []
        var disconnected = false

        /// The payloads published on topics ending with `suffix`, in order, as text.
        func payloads(onTopicEndingWith suffix: String) -> [String] {
            published.filter { $0.topic.hasSuffix(suffix) }.map { String(buffer: $0.payload) }
        }
    }

    private struct State {
        var connections: [Connection] = []
        var unreachableHosts: Set<String> = []
        /// Which of the device's publications go unanswered, as if the broker had gone quiet.
        var withholdsAcknowledgement: @Sendable (PublishPacket) -> Bool = { _ in false }
        var nextPacketIdentifier: UInt16 = 1
        var accepting = true
    }

    let loop = NIOAsyncTestingEventLoop()
    private let state = Mutex(State())
    private let accepted: AsyncStream<Int>
    private let accept: AsyncStream<Int>.Continuation

    private init() { (accepted, accept) = AsyncStream.makeStream() }

    /// Runs `body` with a broker, then hangs up on every connection and stops the loop.
    static func with<T: Sendable>(_ body: (TestingBroker) async throws -> T) async throws -> T {
        let broker = TestingBroker()
        let result: Result<T, any Error> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await broker.serveConnections() }
            let result: Result<T, any Error>
            do { result = .success(try await body(broker)) } catch { result = .failure(error) }
            await broker.hangUp()
            return result
        }
        await broker.loop.shutdownGracefully()
        return try result.get()
    }

    /// Where the device's client is to get its connections.
    var transport: MQTTTransport {
        .channels { [self] host, _, _ in try await self.open(host: host) }
    }

    /// Connections to `host` are refused from now on, as by a closed port.
    func makeUnreachable(_ host: String) { state.withLock { _ = $0.unreachableHosts.insert(host) } }

    /// Publications for which `withheld` holds get no PUBACK.
    func withholdAcknowledgement(_ withheld: @escaping @Sendable (PublishPacket) -> Bool) {
        state.withLock { $0.withholdsAcknowledgement = withheld }
    }

    var connections: [Connection] { state.withLock { $0.connections } }

    /// Closes the latest connection, as a broker that goes away does.
    func dropConnection() async throws {
        guard let channel = state.withLock({ $0.connections.last?.channel }) else { throw TestingBrokerError.noConnection }
        try await channel.close().get()
    }

    /// Publishes to the device at QoS 1 on its latest connection.
    func deliver(topic: String, payload: [UInt8], retain: Bool = false) async throws {
        let latest = state.withLock { state -> (channel: NIOAsyncTestingChannel, identifier: UInt16)? in
            defer { state.nextPacketIdentifier &+= 1 }
            return state.connections.last.map { ($0.channel, state.nextPacketIdentifier) }
        }
        guard let latest else { throw TestingBrokerError.noConnection }
        try await send(
            .publish(
                PublishPacket(
                    topic: topic, payload: ByteBuffer(bytes: payload), qos: .atLeastOnce, retain: retain,
                    packetIdentifier: latest.identifier)),
            on: latest.channel)
    }

    /// Waits until `condition` holds of the connections so far; a failure after 60 s (at the
    /// start of a full run, with every test starting at once, the device may take seconds).
    func waitFor(_ what: String, _ condition: ([Connection]) -> Bool) async throws {
        try await poll(what, advancingTime: false, condition)
    }

    /// Moves the loop's time on, a second at a time, until `condition` holds: for a client that
    /// waits on one of its timers (the grace it gives unanswered messages before a goodbye).
    func advance(until what: String, _ condition: ([Connection]) -> Bool) async throws {
        try await poll(what, advancingTime: true, condition)
    }

    private func poll(_ what: String, advancingTime: Bool, _ condition: ([Connection]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition(connections) {
            guard ContinuousClock.now < deadline else { throw TestingBrokerError.timedOut(waitingFor: what, connections: connections) }
            if advancingTime { await loop.advanceTime(by: .seconds(1)) }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: The broker's side

    private func open(host: String) async throws -> any Channel {
        let (reachable, accepting) = state.withLock { (!$0.unreachableHosts.contains(host), $0.accepting) }
        guard reachable, accepting else { throw IOError(errnoCode: ECONNREFUSED, reason: "connect") }
        let channel = try await NIOAsyncTestingChannel(loop: loop) { _ in }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.1", port: 8883)).get()
        let index = state.withLock { state in
            state.connections.append(Connection(channel: channel))
            return state.connections.count - 1
        }
        accept.yield(index)
        return channel
    }

    private func serveConnections() async {
        await withDiscardingTaskGroup { group in
            for await index in accepted {
                group.addTask { await self.serve(index) }
            }
        }
    }

    /// Answers what the device sends on one connection until it closes.
    private func serve(_ index: Int) async {
        let channel = state.withLock { $0.connections[index].channel }
        var unread = ByteBuffer()
        var version = MQTTProtocolVersion.v5
        do {
            while true {
                var bytes = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
                unread.writeBuffer(&bytes)
                while let packet = try MQTTPacketDecoder.nextPacket(in: &unread, version: version, maximumPacketSize: 1 << 20) {
                    if case .connect(let connect) = packet { version = connect.protocolVersion }
                    if let answer = answer(to: packet, on: index) { try await send(answer, on: channel, version: version) }
                }
            }
        } catch {
            // The connection closed (or sent what no broker would parse): nothing more to answer.
        }
    }

    private func answer(to packet: MQTTPacket, on index: Int) -> MQTTPacket? {
        switch packet {
        case .connect:
            return .connAck(ConnAckPacket(sessionPresent: false, reasonCode: .success))
        case .subscribe(let subscribe):
            state.withLock { $0.connections[index].subscribed += subscribe.subscriptions.map(\.topicFilter) }
            return .subAck(
                SubscriptionAckPacket(
                    packetIdentifier: subscribe.packetIdentifier,
                    reasonCodes: subscribe.subscriptions.map { MQTTReasonCode(rawValue: $0.qos.rawValue) }))
        case .publish(let publish):
            let withheld = state.withLock { state in
                state.connections[index].published.append(publish)
                return state.withholdsAcknowledgement(publish)
            }
            guard !withheld, let identifier = publish.packetIdentifier else { return nil }
            return .pubAck(PublishAckPacket(packetIdentifier: identifier))
        case .pingReq:
            return .pingResp
        case .disconnect:
            state.withLock { $0.connections[index].disconnected = true }
            return nil
        default:
            return nil
        }
    }

    private func send(_ packet: MQTTPacket, on channel: NIOAsyncTestingChannel, version: MQTTProtocolVersion = .v5) async throws {
        var bytes = ByteBuffer()
        try packet.encode(version: version, into: &bytes)
        try await channel.writeInbound(bytes)
    }

    /// Refuses new connections and closes those open.
    func hangUp() async {
        let channels = state.withLock { state in
            state.accepting = false
            return state.connections.map(\.channel)
        }
        accept.finish()
        for channel in channels { try? await channel.close().get() }
    }
}

enum TestingBrokerError: Error, CustomStringConvertible {
    case noConnection
    case timedOut(waitingFor: String, connections: [TestingBroker.Connection])

    var description: String {
        switch self {
        case .noConnection:
            return "the device has not connected to the broker"
        case .timedOut(let what, let connections):
            let seen = connections.enumerated().map { index, connection in
                "connection \(index): " + connection.published.map { "\($0.topic) \(String(buffer: $0.payload))" }.joined(separator: "; ")
            }
            return "timed out waiting for \(what); the broker saw:\n" + seen.joined(separator: "\n")
        }
    }
}

import NIOCore

/// QoS 1 publishes sent and not yet acknowledged, remembered in the order they were first sent
/// so that a reconnection re-sends them in that order.
public typealias PublishCompletion = @Sendable (Result<PublishResult, any Error>) -> Void

struct InFlightWindow {
    private struct Entry {
        var packet: PublishPacket
        var sequence: UInt64
        var completion: PublishCompletion
    }

    private var entries: [UInt16: Entry] = [:]
    private var nextSequence: UInt64 = 0

    var count: Int { entries.count }

    func contains(_ identifier: UInt16) -> Bool { entries[identifier] != nil }

    mutating func insert(_ packet: PublishPacket, completion: @escaping PublishCompletion) {
        entries[packet.packetIdentifier!] = Entry(packet: packet, sequence: nextSequence, completion: completion)
        nextSequence += 1
    }

    mutating func remove(_ identifier: UInt16) -> PublishCompletion? {
        entries.removeValue(forKey: identifier)?.completion
    }

    mutating func removeAll() -> [PublishCompletion] {
        defer { entries.removeAll() }
        return entries.values.map(\.completion)
    }

    func packetsInOrder() -> [PublishPacket] {
        entries.values.sorted { $0.sequence < $1.sequence }.map(\.packet)
    }
}

/// Packet identifiers are reused round-robin, skipping those still awaiting an acknowledgement.
struct PacketIdentifierPool {
    private var last: UInt16 = 0

    mutating func next(excluding inFlight: InFlightWindow) -> UInt16? {
        for _ in 0..<Int(UInt16.max) {
            last = last == UInt16.max ? 1 : last + 1
            if !inFlight.contains(last) { return last }
        }
        return nil
    }
}

/// What the broker's CONNACK allows us (MQTT 5 section 3.2.2.3); MQTT 3.1.1 brokers state none.
struct BrokerLimits {
    var receiveMaximum = Int(UInt16.max)
    var maximumPacketSize: Int?
    var retainAvailable = true

    init() {}

    init(_ connAck: ConnAckPacket) {
        receiveMaximum = connAck.properties.receiveMaximum.map(Int.init) ?? Int(UInt16.max)
        maximumPacketSize = connAck.properties.maximumPacketSize.map(Int.init)
        retainAvailable = connAck.properties.retainAvailable != 0
    }
}

extension PublishPacket {
    /// The packet's size on the wire, to test it against the broker's Maximum Packet Size.
    func encodedSize(version: MQTTProtocolVersion) -> Int {
        let remaining = remainingLength(version: version)
        return 1 + ByteBuffer.variableByteIntegerSize(remaining) + remaining
    }

    /// The fixed header's remaining length: everything after it.
    func remainingLength(version: MQTTProtocolVersion) -> Int {
        var remaining = 2 + topic.utf8.count + payload.readableBytes
        if qos != .atMostOnce { remaining += 2 }
        if version == .v5 {
            let propertyLength = properties.encodedLength
            remaining += ByteBuffer.variableByteIntegerSize(propertyLength) + propertyLength
        }
        return remaining
    }
}

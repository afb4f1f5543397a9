import NIOCore

/// What to tell once the broker answers a QoS 1 publish, or once it is written for QoS 0.
public typealias PublishCompletion = @Sendable (Result<PublishResult, any Error>) -> Void

/// QoS 1 publishes given a packet identifier and not yet acknowledged, in the order they were
/// first admitted, so that a new connection re-sends them in that order (MQTT 4.4), each marked
/// with whether the current connection has it on the wire.
struct InFlightWindow {
    /// Who hears the broker's answer: an async caller, or the publish source by its token.
    enum Owner {
        case caller(PublishCompletion)
        case source(UInt64)
    }

    struct Entry {
        var packet: PublishPacket
        var owner: Owner
        var sequence: UInt64
        /// A connection's greeting is made anew for the next one: an old one is not sent again.
        var resends = true
        var onWire = false
        /// Connections the broker closed soon after this, the largest message on the wire, was sent.
        var suspicions = 0
    }

    /// How many such closes make a message the one the broker will not take.
    static let suspicionsToGiveUp = 3

    private var entries: [UInt16: Entry] = [:]
    /// Admitted and not yet written on this connection, oldest first.
    private var unsent = CircularBuffer<UInt16>()
    private var nextSequence: UInt64 = 0
    /// Written on this connection and not yet acknowledged: what the broker's Receive Maximum counts.
    private(set) var onWire = 0

    var count: Int { entries.count }
    var hasUnsent: Bool { !unsent.isEmpty }

    func contains(_ identifier: UInt16) -> Bool { entries[identifier] != nil }

    /// `first`: ahead of everything not yet written (a greeting before the re-sends), else behind it.
    mutating func admit(_ packet: PublishPacket, owner: Owner, resends: Bool = true, first: Bool = false) {
        let identifier = packet.packetIdentifier!
        entries[identifier] = Entry(packet: packet, owner: owner, sequence: nextSequence, resends: resends)
        nextSequence += 1
        if first { unsent.prepend(identifier) } else { unsent.append(identifier) }
    }

    /// The oldest admitted packet not yet written on this connection, now counted as on the wire.
    mutating func takeUnsent() -> PublishPacket? {
        while let identifier = unsent.popFirst() {
            guard entries[identifier] != nil else { continue }
            entries[identifier]!.onWire = true
            onWire += 1
            return entries[identifier]!.packet
        }
        return nil
    }

    mutating func remove(_ identifier: UInt16) -> Entry? {
        guard let entry = entries.removeValue(forKey: identifier) else { return nil }
        if entry.onWire { onWire -= 1 }
        return entry
    }

    /// A broker without reason codes (MQTT 3.1.1) closes the connection on a message it will not
    /// take, one over its packet size limit above all: the largest message on the wire is
    /// suspected, and once suspected `suspicionsToGiveUp` times it is returned, removed, so that
    /// it stops taking the connection down with everything behind it.
    mutating func suspectLargestOnWire() -> Entry? {
        guard let largest = entries.values.filter(\.onWire).max(by: { $0.packet.payload.readableBytes < $1.packet.payload.readableBytes })
        else { return nil }
        let identifier = largest.packet.packetIdentifier!
        entries[identifier]!.suspicions += 1
        guard entries[identifier]!.suspicions >= Self.suspicionsToGiveUp else { return nil }
        return remove(identifier)
    }

    /// The connection is gone: everything is unsent again, in admission order, flagged DUP where
    /// the broker may have seen it; returns the greeting's entries, which are not sent again.
    mutating func connectionLost() -> [Entry] {
        let superseded = entries.values.filter { !$0.resends }
        for entry in superseded { entries[entry.packet.packetIdentifier!] = nil }
        for identifier in entries.keys where entries[identifier]!.onWire {
            entries[identifier]!.onWire = false
            entries[identifier]!.packet.dup = true
        }
        onWire = 0
        unsent = CircularBuffer(entries.values.sorted { $0.sequence < $1.sequence }.map { $0.packet.packetIdentifier! })
        return superseded
    }

    mutating func removeAll() -> [Entry] {
        defer {
            entries.removeAll()
            unsent.removeAll()
            onWire = 0
        }
        return entries.values.sorted { $0.sequence < $1.sequence }
    }
}

/// Packet identifiers are reused round-robin, skipping those still awaiting an acknowledgement.
struct PacketIdentifierPool {
    private var last: UInt16 = 0

    mutating func next(excluding inUse: (UInt16) -> Bool) -> UInt16? {
        for _ in 0..<Int(UInt16.max) {
            last = last == UInt16.max ? 1 : last + 1
            if !inUse(last) { return last }
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

import NIOCore
import Testing

@testable import MQTT

private func decode(_ bytes: [UInt8], _ version: MQTTProtocolVersion = .v5, limit: Int = 1 << 20) throws(MQTTDecodingError) -> MQTTPacket? {
    var buffer = ByteBuffer(bytes: bytes)
    return try MQTTPacketDecoder.nextPacket(in: &buffer, version: version, maximumPacketSize: limit)
}

struct MalformedCase: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var version: MQTTProtocolVersion = .v5
    var error: MQTTDecodingError
    var testDescription: String { name }
}

@Test(
    "malformed input is a typed error naming the packet and field",
    arguments: [
        MalformedCase(
            name: "5-byte remaining length", bytes: [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F],
            error: .malformedVariableByteInteger(field: "remaining length")),
        MalformedCase(
            name: "non-minimal remaining length", bytes: [0xC0, 0x80, 0x00], error: .malformedVariableByteInteger(field: "remaining length")
        ),
        MalformedCase(name: "packet type 0", bytes: [0x00, 0x00], error: .unknownPacketType(0)),
        MalformedCase(
            name: "PUBREL without its 0010 flags", bytes: [0x60, 0x02, 0x00, 0x01],
            error: .invalidFixedHeaderFlags(packet: .pubRel, flags: 0)),
        MalformedCase(name: "PINGREQ with flags", bytes: [0xC1, 0x00], error: .invalidFixedHeaderFlags(packet: .pingReq, flags: 1)),
        MalformedCase(
            name: "PUBLISH QoS 3", bytes: [0x36, 0x03, 0x00, 0x01, 0x61], error: .invalidQoS(field: "PUBLISH fixed header", value: 3)),
        MalformedCase(
            name: "PUBLISH QoS 0 with DUP", bytes: [0x38, 0x03, 0x00, 0x01, 0x61],
            error: .invalidFixedHeaderFlags(packet: .publish, flags: 8)),
        MalformedCase(name: "PUBLISH to a wildcard topic", bytes: [0x30, 0x04, 0x00, 0x01, 0x23, 0x00], error: .invalidTopicName("#")),
        MalformedCase(
            name: "PUBLISH topic with invalid UTF-8", bytes: [0x30, 0x05, 0x00, 0x02, 0xC3, 0x28, 0x00],
            error: .invalidUTF8(field: "topic name")),
        MalformedCase(
            name: "PUBLISH topic with U+0000", bytes: [0x30, 0x05, 0x00, 0x02, 0x61, 0x00, 0x00], error: .invalidUTF8(field: "topic name")),
        MalformedCase(name: "truncated CONNACK", bytes: [0x20, 0x01, 0x00], error: .truncated(packet: .connAck, field: "reason code")),
        MalformedCase(
            name: "string longer than its packet", bytes: [0x30, 0x03, 0x00, 0x09, 0x61],
            error: .truncated(packet: .publish, field: "topic name")),
        MalformedCase(name: "PINGRESP with a body", bytes: [0xD0, 0x01, 0x00], error: .trailingBytes(packet: .pingResp, count: 1)),
        MalformedCase(
            name: "CONNACK reserved flag", bytes: [0x20, 0x03, 0x02, 0x00, 0x00],
            error: .reservedBitSet(packet: .connAck, field: "acknowledge flags")),
        MalformedCase(
            name: "CONNACK 3.1.1 return code 6", bytes: [0x20, 0x02, 0x00, 0x06], version: .v3_1_1,
            error: .invalidReasonCode(packet: .connAck, code: 6)),
        MalformedCase(name: "PUBACK identifier 0", bytes: [0x40, 0x02, 0x00, 0x00], error: .zeroPacketIdentifier(packet: .pubAck)),
        MalformedCase(
            name: "PUBACK reason 0x05", bytes: [0x40, 0x03, 0x00, 0x01, 0x05], error: .invalidReasonCode(packet: .pubAck, code: 5)),
        MalformedCase(
            name: "CONNACK with Receive Maximum twice", bytes: [0x20, 0x09, 0x00, 0x00, 0x06, 0x21, 0x00, 0x05, 0x21, 0x00, 0x05],
            error: .duplicateProperty(packet: .connAck, identifier: 0x21)),
        MalformedCase(
            name: "CONNACK with a Topic Alias", bytes: [0x20, 0x06, 0x00, 0x00, 0x03, 0x23, 0x00, 0x01],
            error: .invalidProperty(packet: .connAck, identifier: 0x23)),
        MalformedCase(
            name: "CONNACK with Receive Maximum 0", bytes: [0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x00],
            error: .invalidPropertyValue(packet: .connAck, identifier: 0x21)),
        MalformedCase(
            name: "property list longer than the packet", bytes: [0x20, 0x03, 0x00, 0x00, 0x05],
            error: .truncated(packet: .connAck, field: "properties")),
        MalformedCase(
            name: "unknown property 0x7F", bytes: [0x20, 0x05, 0x00, 0x00, 0x02, 0x7F, 0x00],
            error: .invalidProperty(packet: .connAck, identifier: 0x7F)),
        MalformedCase(name: "SUBACK without reason codes", bytes: [0x90, 0x03, 0x00, 0x01, 0x00], error: .emptyList(packet: .subAck)),
        MalformedCase(name: "SUBSCRIBE without filters", bytes: [0x82, 0x03, 0x00, 0x01, 0x00], error: .emptyList(packet: .subscribe)),
        MalformedCase(
            name: "SUBSCRIBE retain handling 3", bytes: [0x82, 0x07, 0x00, 0x01, 0x00, 0x00, 0x01, 0x61, 0x30],
            error: .reservedBitSet(packet: .subscribe, field: "subscription options")),
        MalformedCase(
            name: "AUTH under 3.1.1", bytes: [0xF0, 0x00], version: .v3_1_1, error: .notAllowedInVersion(packet: .auth, version: .v3_1_1)),
        MalformedCase(
            name: "CONNECT for protocol MQIsdp", bytes: [0x10, 0x0A, 0x00, 0x06] + Array("MQIsdp".utf8) + [0x03, 0x02],
            error: .invalidProtocolName("MQIsdp")),
        MalformedCase(
            name: "CONNECT level 3", bytes: [0x10, 0x0A, 0x00, 0x04] + Array("MQTT".utf8) + [0x03, 0x00, 0x00, 0x0A],
            error: .unsupportedProtocolLevel(3)),
        MalformedCase(
            name: "CONNECT reserved flag", bytes: [0x10, 0x0A, 0x00, 0x04] + Array("MQTT".utf8) + [0x04, 0x01, 0x00, 0x0A],
            error: .reservedBitSet(packet: .connect, field: "connect flags")),
        MalformedCase(name: "DISCONNECT reason 0x05", bytes: [0xE0, 0x01, 0x05], error: .invalidReasonCode(packet: .disconnect, code: 5)),
    ])
func malformed(_ input: MalformedCase) {
    #expect(throws: input.error) { try decode(input.bytes, input.version) }
}

@Test("an oversized declared length is refused before its body arrives")
func oversizedRefusedEarly() {
    // Only the fixed header has arrived: 2 MB are announced, the limit is 1 KiB.
    #expect(throws: MQTTDecodingError.packetTooLarge(size: 2_097_155, limit: 1024)) {
        try decode([0x30, 0xFF, 0xFF, 0x7F], limit: 1024)
    }
}

@Test("random bytes never crash the decoder: each input yields a packet, a wait, or a typed error")
func randomBytesNeverCrash() {
    var generator = SplitMix64(seed: 0x5EED)
    var outcomes = [0, 0, 0]
    for _ in 0..<20_000 {
        let length = Int(generator.next() % 24)
        var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        if !bytes.isEmpty { bytes[0] = bytes[0] & 0xF0 | (bytes[0] & 0x0F) }
        do {
            outcomes[try decode(bytes, generator.next() % 2 == 0 ? .v5 : .v3_1_1, limit: 64) == nil ? 1 : 0] += 1
        } catch {
            outcomes[2] += 1
        }
    }
    #expect(outcomes.allSatisfy { $0 > 0 }, "the corpus should exercise all three outcomes: \(outcomes)")
}

struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Test("encoding refuses what the spec forbids")
func encodingRefusals() {
    var buffer = ByteBuffer()
    #expect(throws: MQTTEncodingError.invalidTopicName("a/#")) {
        try MQTTPacket.publish(PublishPacket(topic: "a/#", payload: ByteBuffer(), qos: .atMostOnce)).encode(version: .v5, into: &buffer)
    }
    #expect(throws: MQTTEncodingError.zeroPacketIdentifier) {
        try MQTTPacket.publish(PublishPacket(topic: "a", payload: ByteBuffer(), qos: .atLeastOnce)).encode(version: .v5, into: &buffer)
    }
    #expect(throws: MQTTEncodingError.notAllowedInVersion(packet: .auth, version: .v3_1_1)) {
        try MQTTPacket.auth(ReasonPacket()).encode(version: .v3_1_1, into: &buffer)
    }
    #expect(throws: MQTTEncodingError.packetTooLarge(size: 105, limit: 100)) {
        try MQTTPacket.publish(PublishPacket(topic: "a", payload: ByteBuffer(repeating: 0, count: 100), qos: .atMostOnce))
            .encode(version: .v3_1_1, into: &buffer, maximumPacketSize: 100)
    }
}

@Test("the size computed for a Maximum Packet Size check equals the encoded size")
func encodedSizeMatches() throws {
    let packet = PublishPacket(
        topic: "springcard/x", payload: ByteBuffer(repeating: 1, count: 300), qos: .atLeastOnce, packetIdentifier: 3,
        properties: [.userProperty(name: "event-id", value: "12")])
    for version in [MQTTProtocolVersion.v3_1_1, .v5] {
        var buffer = ByteBuffer()
        try MQTTPacket.publish(packet).encode(version: version, into: &buffer)
        #expect(packet.encodedSize(version: version) == buffer.readableBytes)
    }
}

@Test("backoff stays between half and all of the capped exponential delay")
func backoffBounds() {
    let backoff = ReconnectBackoff(initial: .milliseconds(500), ceiling: .seconds(30))
    for attempt in 0..<12 {
        let cap = min(Duration.seconds(30), .milliseconds(500) * (1 << attempt))
        for _ in 0..<20 {
            let delay = backoff.delay(attempt: attempt)
            #expect(delay >= cap / 2 && delay <= cap)
        }
    }
}

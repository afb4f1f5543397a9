import Testing

@testable import Spool

@Test("events come out in order and count until acknowledged")
func orderAndAcknowledgement() async {
    let outbox = Outbox(capacity: 10)
    for index in 0..<5 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    var taken: [OutboxEvent] = []
    for _ in 0..<5 { taken.append(await outbox.next()!) }
    #expect(taken.map(\.payload) == [[0], [1], [2], [3], [4]])
    #expect(await outbox.depth == 5)
    for event in taken.reversed() { await outbox.acknowledge(event.id) }
    #expect(await outbox.depth == 0)
    await outbox.drained()
}

@Test("a full outbox holds the producer back instead of dropping")
func backpressure() async {
    let outbox = Outbox(capacity: 2)
    await outbox.append(topic: "t", payload: [1])
    await outbox.append(topic: "t", payload: [2])
    let producer = Task { await outbox.append(topic: "t", payload: [3]) }
    try? await Task.sleep(for: .milliseconds(50))
    #expect(await outbox.depth == 2, "the third append waits")
    let first = await outbox.next()!
    await outbox.acknowledge(first.id)
    _ = await producer.value
    #expect(await outbox.depth == 2)
    #expect(await outbox.next()?.payload == [2])
    #expect(await outbox.next()?.payload == [3])
}

@Test("close ends the consumer once the queue is empty, and drained waits for acknowledgements")
func closeAndDrain() async {
    let outbox = Outbox()
    await outbox.append(topic: "t", payload: [])
    await outbox.close()
    let event = await outbox.next()
    #expect(event != nil)
    #expect(await outbox.next() == nil)
    let drained = Task { await outbox.drained() }
    await outbox.acknowledge(event!.id)
    await drained.value
}

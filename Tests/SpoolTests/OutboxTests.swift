import Synchronization
import TestSupport
import Testing

@testable import Spool

@Test("events come out in order and count until acknowledged")
func orderAndAcknowledgement() async throws {
    let outbox = Outbox(limits: SpoolLimits(maximumEvents: 10))
    for index in 0..<5 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    var taken = await outbox.nextBatch(limit: 3)
    taken += await outbox.nextBatch(limit: 3)
    #expect(taken.map(\.payload) == [[0], [1], [2], [3], [4]])
    #expect(outbox.depth == 5)
    for event in taken.reversed() { outbox.acknowledge(event.id) }
    #expect(outbox.depth == 0)
    await outbox.drained()
}

@Test("a full outbox holds the producer back instead of dropping")
func backpressure() async throws {
    let outbox = Outbox(limits: SpoolLimits(maximumEvents: 2))
    await outbox.append(topic: "t", payload: [1])
    await outbox.append(topic: "t", payload: [2])
    let producer = Task { await outbox.append(topic: "t", payload: [3]) }
    try? await Task.sleep(for: .milliseconds(50))
    #expect(outbox.depth == 2, "the third append waits")
    let first = await outbox.nextBatch(limit: 1)
    outbox.acknowledge(first[0].id)
    _ = await producer.value
    #expect(outbox.depth == 2)
    #expect(await outbox.nextBatch(limit: 10).map(\.payload) == [[2], [3]])
}

@Test("a consumer that found nothing is woken once, when an event arrives, and not before")
func consumerWakes() async throws {
    let outbox = Outbox()
    let wakes = Mutex(0)
    outbox.setWaker { wakes.withLock { $0 += 1 } }
    await outbox.append(topic: "t", payload: [6])
    #expect(wakes.withLock { $0 } == 0, "nobody was waiting")
    #expect(outbox.takeBatch(limit: 10).map(\.payload) == [[6]])
    #expect(outbox.takeBatch(limit: 10).isEmpty)
    await outbox.append(topic: "t", payload: [7])
    await outbox.append(topic: "t", payload: [8])
    #expect(wakes.withLock { $0 } == 1, "one wake for the consumer that found nothing")
    #expect(outbox.takeBatch(limit: 10).map(\.payload) == [[7], [8]])
}

@Test("a durable outbox wakes its consumer once the events are committed, not when they are read")
func durableConsumerWakesOnCommit() async throws {
    let store = try SpoolStore(path: temporaryDirectory("spool-wake") + "/spool.sqlite")
    let outbox = try Outbox(store: store)
    let woken = AsyncStream<Void>.makeStream()
    outbox.setWaker { woken.continuation.yield() }
    #expect(outbox.takeBatch(limit: 10).isEmpty)
    await outbox.append(topic: "t", payload: [9])
    var iterator = woken.stream.makeAsyncIterator()
    _ = await iterator.next()
    #expect(outbox.takeBatch(limit: 10).map(\.payload) == [[9]])
}

@Test("close ends the consumer once the queue is empty, and drained waits for acknowledgements")
func closeAndDrain() async throws {
    let outbox = Outbox()
    await outbox.append(topic: "t", payload: [])
    outbox.close()
    let batch = await outbox.nextBatch(limit: 10)
    #expect(batch.count == 1)
    #expect(await outbox.nextBatch(limit: 10).isEmpty)
    let drained = Task { await outbox.drained() }
    outbox.acknowledge(batch[0].id)
    await drained.value
}

@Test("a waiting reader resumes once a quarter of the outbox is free, not at every acknowledgement")
func readerResumesWithRoom() async throws {
    let outbox = Outbox(limits: SpoolLimits(maximumEvents: 8))
    for index in 0..<8 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    let taken = await outbox.nextBatch(limit: 8)
    let resumed = SharedFlag()
    let producer = Task {
        await outbox.append(topic: "t", payload: [8])
        resumed.set()
    }
    try? await Task.sleep(for: .milliseconds(50))
    #expect(!resumed.isSet, "the outbox is full")
    outbox.acknowledge(taken[0].id)
    try? await Task.sleep(for: .milliseconds(50))
    #expect(!resumed.isSet, "7 of 8 still unacknowledged: the reader keeps waiting")
    outbox.acknowledge(taken[1].id)
    await producer.value
    #expect(outbox.depth == 7)
}

/// A flag set from one task and read from another.
final class SharedFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}

@Test("events given back go out again first, in order; once closed they are dropped")
func giveBack() async throws {
    let outbox = Outbox(limits: SpoolLimits(maximumEvents: 10))
    for index in 0..<5 { await outbox.append(topic: "t", payload: [UInt8(index)]) }
    let first = await outbox.nextBatch(limit: 4)
    outbox.acknowledge(first[0].id)
    #expect(outbox.giveBack([first[3]]))
    #expect(outbox.giveBack([first[1], first[0]]), "an acknowledged event is not resent")
    let again = await outbox.nextBatch(limit: 10)
    #expect(again.map(\.payload) == [[1], [3], [4]])
    outbox.close()
    #expect(!outbox.giveBack([first[2]]))
    #expect(outbox.depth == 3, "event 2 was dropped, 1, 3 and 4 still wait for acknowledgement")
}

@Test("a payload made with its event's id carries the id the outbox gives the event")
func payloadWithItsID() async {
    let outbox = Outbox()
    await outbox.append(topic: "t", payload: [0])
    let id = await outbox.append(topic: "t") { Array("event \($0)".utf8) }
    let batch = await outbox.nextBatch(limit: 10)
    #expect(batch.last?.id == id && batch.last?.payload == Array("event \(id)".utf8) && id == 2)
}

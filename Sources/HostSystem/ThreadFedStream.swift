import Foundation
import Synchronization

/// An `AsyncStream` fed by a thread of its own, for producers that block (serial reads, poll on
/// inotify or udev). The producer is told to stop (`running()` turns false) when the consumer
/// stops iterating; the stream finishes when the producer returns.
public enum ThreadFedStream {
    public static func make<Element: Sendable>(
        of: Element.Type = Element.self, name: String,
        bufferingPolicy: AsyncStream<Element>.Continuation.BufferingPolicy = .unbounded,
        _ produce: @escaping @Sendable (_ yield: (Element) -> Void, _ running: () -> Bool) -> Void
    ) -> AsyncStream<Element> {
        let (stream, continuation) = AsyncStream.makeStream(of: Element.self, bufferingPolicy: bufferingPolicy)
        let wanted = Wanted()
        continuation.onTermination = { _ in wanted.flag.store(false, ordering: .relaxed) }
        let thread = Thread {
            produce({ continuation.yield($0) }, { wanted.flag.load(ordering: .relaxed) })
            continuation.finish()
        }
        thread.name = name
        thread.start()
        return stream
    }

    /// Whether the consumer still iterates; shared by the thread and the stream's termination.
    private final class Wanted: Sendable {
        let flag = Atomic<Bool>(true)
    }
}

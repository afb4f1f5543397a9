import Synchronization

/// Runs `operation`, giving up after `limit`; nil means it did not finish in time. The
/// operation is left running rather than awaited, because the waits it may be stuck in
/// (a broker's acknowledgement) do not end on cancellation; its owner ends them on shutdown.
public func withDeadline<T: Sendable>(_ limit: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    try await withCheckedThrowingContinuation { continuation in
        let outcome = FirstOutcome(continuation)
        let timer = Task {
            try? await Task.sleep(for: limit)
            outcome.resume(.success(nil))
        }
        Task {
            // The timer ends with the operation: a finished operation leaves no task asleep for the rest of the limit.
            defer { timer.cancel() }
            do { outcome.resume(.success(try await operation())) } catch { outcome.resume(.failure(error)) }
        }
    }
}

/// Resumes a continuation with whichever result arrives first and ignores the rest.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T?, any Error>?>

    init(_ continuation: CheckedContinuation<T?, any Error>) {
        self.continuation = Mutex(continuation)
    }

    func resume(_ result: Result<T?, any Error>) {
        let pending = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        pending?.resume(with: result)
    }
}

/// Runs `operation`, giving up when the calling task is cancelled; nil then. As with
/// `withDeadline`, the operation is left running: what it waits for may not end on cancellation.
public func unlessCancelled<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T? {
    let pending = Mutex<FirstOutcome<T>?>(nil)
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { continuation in
            let outcome = FirstOutcome(continuation)
            pending.withLock { $0 = outcome }
            // Cancelled before the outcome could be reached: the handler found nothing to resume.
            if Task.isCancelled { return outcome.resume(.success(nil)) }
            Task { do { outcome.resume(.success(try await operation())) } catch { outcome.resume(.failure(error)) } }
        }
    } onCancel: {
        pending.withLock { $0 }?.resume(.success(nil))
    }
}

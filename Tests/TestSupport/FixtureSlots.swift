import Foundation

/// How many integration fixtures (a broker, the daemons and observers around it) run at once.
///
/// Swift Testing starts every test of the process together. Forty fixtures starting at once on
/// a 2-core machine drove the load average past 20: a broker took more than 10 s to listen, a
/// daemon more than 15 s to send its first event, and a 1 s timer in this process was noticed
/// after 10 s. Each fixture waits for a slot before it starts anything, so every deadline a test
/// sets is measured on a machine shared by a bounded number of others.
public actor FixtureSlots {
    /// Shared by every fixture of the test process: three a core, which keeps both cores busy
    /// (the fixtures mostly wait on their processes) without starving any of them.
    public static let shared = FixtureSlots(capacity: 3 * ProcessInfo.processInfo.activeProcessorCount)

    public nonisolated let capacity: Int
    private var free: Int
    private var waiting: [(weight: Int, resume: CheckedContinuation<Void, Never>)] = []

    public init(capacity: Int) {
        self.capacity = capacity
        free = capacity
    }

    /// Runs `body` holding `weight` slots (at most all of them): a broker that loads both cores
    /// as it starts (RabbitMQ's Erlang node) takes more than one.
    public nonisolated func run<T>(weight: Int = 1, _ body: () async throws -> T) async throws -> T {
        let weight = min(max(weight, 1), capacity)
        await acquire(weight)
        do {
            let result = try await body()
            await release(weight)
            return result
        } catch {
            await release(weight)
            throw error
        }
    }

    /// How many wait for their slots now (a test of the order sees each arrive).
    public var waitingCount: Int { waiting.count }

    private func acquire(_ weight: Int) async {
        // First come, first served: a heavy fixture is not overtaken for ever by light ones.
        if waiting.isEmpty && free >= weight {
            free -= weight
            return
        }
        await withCheckedContinuation { waiting.append((weight, $0)) }
    }

    private func release(_ weight: Int) {
        free += weight
        while let next = waiting.first, free >= next.weight {
            waiting.removeFirst()
            free -= next.weight
            next.resume.resume()
        }
    }
}

import Foundation
import Synchronization

/// Issues a shard's new devices on every core: a P-256 key and a signature each, which is most of
/// a fleet's preparation. Names are not added to the PKI's register, so the PKI directory may be
/// read-only (a mounted Secret) and no two workers write one file; the broker's ACL covers devices
/// by pattern, not by name.
struct FleetIdentityIssuing: Sendable {
    var provisioning: DeviceProvisioning
    var directory: FleetDirectory

    func issue(serials: [String], progress: @escaping @Sendable (_ made: Int, _ missing: Int) -> Void) async throws {
        let next = Atomic(0)
        let made = Atomic(0)
        let failure = Mutex<(any Error)?>(nil)
        // Each device is a few fsyncs as well as a key and a signature: more workers than cores keep
        // the cores busy while others wait for the disk.
        let workers = min(serials.count, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount))
        let finished = DispatchGroup()
        // Threads of their own: Dispatch's pool would not run more of them than cores, and they block on the disk.
        for _ in 0..<workers {
            finished.enter()
            Thread.detachNewThread {
                defer { finished.leave() }
                issueUntilDone()
            }
        }
        // Awaited, not waited for: a blocked thread of the concurrency pool (two on two cores) stalls every task.
        await withCheckedContinuation { continuation in finished.notify(queue: .global()) { continuation.resume() } }
        if let error = failure.withLock({ $0 }) { throw error }

        @Sendable func issueUntilDone() {
            while failure.withLock({ $0 == nil }) {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < serials.count else { return }
                do {
                    // Made aside and renamed into place: a shard killed half-way (a pod evicted) leaves
                    // no half-made device that the next run would take as made.
                    let final = directory.state(serialNumber: serials[index]).path
                    let partial = final + ".partial"
                    try? FileManager.default.removeItem(atPath: partial)
                    try provisioning.provision(
                        state: DeviceStateDirectory(path: partial), serialNumber: serials[index],
                        broker: BrokerAddress(host: "localhost", port: nil), registeringName: false)
                    guard rename(partial, final) == 0 else {
                        throw GatewayError.stateDirectory(path: final, reason: "cannot move the new device into place: \(String(cString: strerror(errno)))")
                    }
                    progress(made.add(1, ordering: .relaxed).newValue, serials.count)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
    }
}

import Foundation
import Gateway
import Synchronization

/// Makes a shard's devices on every core: for new identities a P-256 key and a signature each,
/// which is most of a fleet's preparation. Each is made aside and renamed into place, so no two
/// workers write one file and a shard killed half-way (a pod evicted) leaves no half-made device
/// that the next run would take as made. Names are not added to the PKI's register, so the PKI
/// directory may be read-only (a mounted Secret); the broker's ACL covers devices by pattern.
struct FleetDeviceMaking: Sendable {
    var directory: FleetDirectory
    /// Makes the device `serial` in the (new) state directory given.
    var makeDevice: @Sendable (_ serial: String, _ state: DeviceStateDirectory) throws -> Void

    /// Stops taking devices once `stop` is requested (the devices made are kept) and then throws
    /// `stoppedWhileMaking`: a fleet's making can take minutes, which a signal should not have to wait for.
    func make(
        serials: [String], stop: FleetStopRequest, progress: @escaping @Sendable (_ made: Int, _ missing: Int) -> Void
    ) async throws {
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
                makeUntilDone()
            }
        }
        // Awaited, not waited for: a blocked thread of the concurrency pool (two on two cores) stalls every task.
        await withCheckedContinuation { continuation in finished.notify(queue: .global()) { continuation.resume() } }
        if let error = failure.withLock({ $0 }) { throw error }
        if case .signal(let name)? = stop.current?.reason, made.load(ordering: .relaxed) < serials.count {
            throw FleetError.stoppedWhileMaking(signal: name, made: made.load(ordering: .relaxed), of: serials.count)
        }

        @Sendable func makeUntilDone() {
            while failure.withLock({ $0 == nil }) && !stop.isRequested {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < serials.count else { return }
                do {
                    let final = directory.state(serialNumber: serials[index]).path
                    let partial = final + ".partial"
                    try? FileManager.default.removeItem(atPath: partial)
                    try makeDevice(serials[index], DeviceStateDirectory(path: partial))
                    // A device made again (its pre-enrolled identity changed) replaces the one there.
                    if FileManager.default.fileExists(atPath: final) { try FileManager.default.removeItem(atPath: final) }
                    guard rename(partial, final) == 0 else {
                        throw GatewayError.stateDirectory(
                            path: final, reason: "cannot move the new device into place: \(String(cString: strerror(errno)))")
                    }
                    progress(made.add(1, ordering: .relaxed).newValue, serials.count)
                } catch {
                    failure.withLock { $0 = $0 ?? error }
                }
            }
        }
    }
}

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Exclusive use of a state directory by one running device (`run` or `replay`): two would
/// connect with the same client ID, and the broker would drop one for the other, back and
/// forth. An advisory lock on `device.lock`, held while this object lives; the kernel drops it
/// with the process, so a killed daemon never leaves a stale lock behind.
public final class DeviceLock: Sendable {
    private let descriptor: Int32

    public init(state: DeviceStateDirectory) throws(GatewayError) {
        let path = state.file("device.lock")
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw .stateDirectory(path: state.path, reason: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        // A child this process is spawning holds a copy of every descriptor until its exec closes
        // them (O_CLOEXEC), the lock's included: a moment's retry tells that from another device.
        var locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<10 where !locked {
            usleep(20_000)
            locked = flock(descriptor, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            close(descriptor)
            throw .stateDirectory(
                path: state.path,
                reason:
                    "another smartreader (run or replay) is using this device; stop it first (`smartreader status --state-dir \(state.path)` tells)"
            )
        }
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

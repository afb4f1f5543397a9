import DeviceIdentity
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the device trusts in its state directory (the broker's CA, its own identity, the
/// broker's address, the inbox that takes pushes) must be changeable by the user it runs as
/// and by root alone, as sshd's StrictModes demands of `~/.ssh`: otherwise another local user
/// could swap the CA and the address and receive the device's events on a broker of their own.
public struct StateDirectoryTrust: Sendable {
    /// One thing in the state directory that others could change, and the command that mends it.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var fix: String

        public var description: String { "\(path) \(reason); fix: \(fix)" }
    }

    public let state: DeviceStateDirectory
    /// The user the device runs as; root may own files too.
    public let user: uid_t

    public init(state: DeviceStateDirectory, user: uid_t = getuid()) {
        self.state = state
        self.user = user
    }

    /// The directories and files the device trusts, those that exist, in the order a reader meets
    /// them. The spool is among them: whoever can write it can make the device publish events.
    public var trustedPaths: [String] {
        let slots = state.file("slots")
        let slotFiles = ((try? FileManager.default.contentsOfDirectory(atPath: slots)) ?? []).sorted().map { slots + "/" + $0 }
        let named = [
            state.path, slots, state.configurationPath, state.file("config.last-good.json"), state.file("factory.json"),
            state.factoryConfigurationPath, state.file("inbox"), state.file("inbox/applied"), state.file("inbox/rejected"),
            state.file("config.trial.json"), state.file("cfg-set.retained.sha256"),
            state.spoolPath, state.spoolPath + "-wal", state.spoolPath + "-shm",
        ]
        return (named.prefix(2) + slotFiles + named.dropFirst(2)).filter { Self.status($0) != nil }
    }

    public var problems: [Problem] { trustedPaths.compactMap(problem(at:)) }

    /// Throws when anything the device trusts could be changed by another user, naming each path and its fix.
    public func check() throws(GatewayError) {
        let found = problems
        guard !found.isEmpty else { return }
        throw .stateDirectory(
            path: state.path,
            reason: "refusing to trust it: " + found.map(\.description).joined(separator: "; ")
                + " (another local user could replace the broker's CA or address)")
    }

    /// The doctor's line: one failure for each problem, or one pass.
    public var findings: [DoctorFinding] {
        let found = problems
        guard !found.isEmpty else {
            let owners = user == 0 ? "root" : "\(Self.name(of: user)) or root"
            return [DoctorFinding("state directory trust", .passed, "only \(owners) can change \(state.path)")]
        }
        return found.map { DoctorFinding("state directory trust", .failed, "\($0.path) \($0.reason)", fix: $0.fix) }
    }

    private func problem(at path: String) -> Problem? {
        guard let info = Self.status(path) else { return nil }
        if info.st_mode & S_IFMT == S_IFLNK {
            // realpath, not NSString's resolving: a relative link resolves against its own folder.
            let target =
                realpath(path, nil).map { resolved in
                    defer { free(resolved) }
                    return String(cString: resolved)
                } ?? "a missing file"
            let fix =
                path == state.path
                ? "pass --state-dir \(target)" : "cp --remove-destination \(Self.quoted(target)) \(Self.quoted(path))"
            return Problem(path: path, reason: "is a symbolic link (to \(target)); the device trusts only files it holds itself", fix: fix)
        }
        if info.st_uid != user && info.st_uid != 0 {
            return Problem(
                path: path, reason: "is owned by \(Self.name(of: info.st_uid)), not by \(Self.name(of: user)) who runs the device",
                fix: "chown \(Self.name(of: user)) \(Self.quoted(path))")
        }
        if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
            return Problem(
                path: path, reason: "is writable by \(info.st_mode & S_IWOTH != 0 ? "all users" : "its group")",
                fix: "chmod go-w \(Self.quoted(path))")
        }
        return nil
    }

    /// lstat: a symbolic link is judged as itself, never as what it points to.
    private static func status(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    private static func name(of user: uid_t) -> String {
        guard let entry = getpwuid(user), let name = entry.pointee.pw_name else { return "\(user)" }
        return String(cString: name)
    }

    /// A path as a shell reads it back: quoted only when it needs to be.
    private static func quoted(_ path: String) -> String {
        let plain = path.allSatisfy { $0.isLetter || $0.isNumber || "/._-+:@".contains($0) }
        return plain ? path : "'" + path.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

import DeviceIdentity
import Foundation
import HostSystem

/// `smartreader install`: the binary, its data, a systemd instance unit and a place for each
/// device's options. One process per device (`smartreader@SERIAL.service`, state in
/// `/var/lib/smartreader/SERIAL`): a device that crashes, is reconfigured or is upgraded never
/// takes the others with it, and systemd restarts, limits and logs each on its own.
public struct ServiceInstallation: Sendable {
    public var prefix: String
    public var unitDirectory: String
    /// Holds `SERIAL.env`, each device's extra `run` options (its reader, for one).
    public var configurationDirectory: String
    public var user: String
    /// Where the files are written, `DESTDIR` style: "" for the system itself, a staging tree for
    /// the Debian package (Packaging/deb/build), which is how both ship the same files and unit.
    /// Paths inside the files (the unit's ExecStart) stay the final ones.
    public var destinationRoot: String

    /// Under /var/lib, where systemd's StateDirectory= creates and owns it.
    public static let stateRoot = "/var/lib/smartreader"
    public static let unitName = "smartreader@.service"

    public init(
        prefix: String = "/usr/local", unitDirectory: String = "/etc/systemd/system", configurationDirectory: String = "/etc/smartreader",
        user: String = "smartreader", destinationRoot: String = ""
    ) {
        self.prefix = prefix
        self.unitDirectory = unitDirectory
        self.configurationDirectory = configurationDirectory
        self.user = user
        self.destinationRoot = destinationRoot
    }

    public var binaryPath: String { prefix + "/bin/smartreader" }
    public var dataDirectory: String { prefix + "/share/smartreader" }
    public var unitPath: String { unitDirectory + "/" + Self.unitName }
    public var exampleEnvironmentPath: String { configurationDirectory + "/SERIAL.env.example" }

    public static func stateDirectory(serialNumber: String) -> String { stateRoot + "/" + serialNumber }

    /// The instance unit. Restarts on failure, at most 5 times in 5 minutes (a device that
    /// cannot start, say with an expired certificate, then stays down for the operator to see);
    /// the daemon itself retries a broker that is away, so that is not a failure.
    public var unit: String {
        """
        # Installed by `smartreader install`. One instance a device: systemctl enable --now smartreader@SERIAL
        [Unit]
        Description=SpringCore Smart Reader emulator, device %i
        After=network-online.target
        Wants=network-online.target
        StartLimitIntervalSec=300
        StartLimitBurst=5

        [Service]
        Type=exec
        User=\(user)
        Group=\(user)
        SupplementaryGroups=dialout input
        EnvironmentFile=-\(configurationDirectory)/%i.env
        ExecStart=\(binaryPath) run --state-dir \(Self.stateRoot)/%i $SMARTREADER_OPTIONS
        ExecReload=\(binaryPath) config reload --state-dir \(Self.stateRoot)/%i
        Restart=on-failure
        RestartSec=5
        TimeoutStopSec=30
        StateDirectory=smartreader/%i
        StateDirectoryMode=0700
        UMask=0077
        NoNewPrivileges=yes
        ProtectSystem=strict
        ProtectHome=yes
        PrivateTmp=yes
        ProtectKernelTunables=yes
        ProtectKernelModules=yes
        ProtectKernelLogs=yes
        ProtectControlGroups=yes
        ProtectClock=yes
        ProtectHostname=yes
        RestrictNamespaces=yes
        RestrictRealtime=yes
        RestrictSUIDSGID=yes
        LockPersonality=yes
        MemoryDenyWriteExecute=yes
        SystemCallArchitectures=native
        CapabilityBoundingSet=
        RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
        SystemCallFilter=@system-service
        SystemCallErrorNumber=EPERM
        RemoveIPC=yes
        PrivateMounts=yes
        ProtectProc=invisible
        DevicePolicy=closed
        DeviceAllow=char-ttyS rw
        DeviceAllow=char-ttyUSB rw
        DeviceAllow=char-ttyACM rw
        DeviceAllow=char-input r
        DeviceAllow=char-hidraw rw

        [Install]
        WantedBy=multi-user.target

        """
    }

    public var exampleEnvironment: String {
        """
        # Copy to \(configurationDirectory)/SERIAL.env (SERIAL: the device's serial number, its instance name).
        # Extra options for `smartreader run`; see `smartreader run --help`.
        # SMARTREADER_OPTIONS=--reader pn532:/dev/ttyUSB0 --log-format json --status-spool

        """
    }

    /// The system accounts and systemd's view: what only root does, after the files are in place.
    public var systemCommands: [[String]] {
        var commands: [[String]] = []
        if getpwnam(user) == nil {
            commands.append([
                "/usr/sbin/useradd", "--system", "--user-group", "--home-dir", Self.stateRoot, "--no-create-home", "--shell",
                "/usr/sbin/nologin", user,
            ])
        }
        commands.append(["/usr/bin/systemctl", "daemon-reload"])
        return commands
    }

    /// The Swift runtime this process loaded as a shared library, found in `/proc/self/maps` text: a
    /// binary built without `--static-swift-stdlib` starts only where that toolchain is installed.
    public static func sharedSwiftRuntime(inMaps maps: String) -> String? {
        for line in maps.split(separator: "\n") {
            if let path = line.split(separator: " ").last, path.hasSuffix("/libswiftCore.so") { return String(path) }
        }
        return nil
    }

    /// Every path `installFiles` writes, as the target system sees it (data directories whole):
    /// the one list both `smartreader install` and the Debian package follow.
    public func installedPaths(dataNames: [String]) -> [String] {
        [binaryPath] + dataNames.map { dataDirectory + "/" + $0 } + [unitPath, exampleEnvironmentPath]
    }

    /// Puts `executable` and `data` (directories named by what they hold) in place under
    /// `destinationRoot`, each replaced atomically so a running daemon keeps the copy it started
    /// with; writes the unit and the example. Returns one line a file.
    public func installFiles(executable: String, data: [String]) throws(GatewayError) -> [String] {
        let staged = { (path: String) in self.destinationRoot + path }
        do {
            for directory in [prefix + "/bin", dataDirectory, unitDirectory, configurationDirectory] {
                try ProtectedFile.makeDirectory(staged(directory), mode: 0o755)
            }
            try replace(staged(binaryPath), with: executable)
            chmod(staged(binaryPath), 0o755)
            for directory in data {
                try replace(staged(dataDirectory + "/" + (directory as NSString).lastPathComponent), with: directory)
            }
            try ProtectedFile.write(unit, to: staged(unitPath), mode: 0o644)
            try ProtectedFile.write(exampleEnvironment, to: staged(exampleEnvironmentPath), mode: 0o644)
            let paths = installedPaths(dataNames: data.map { ($0 as NSString).lastPathComponent }).map(staged)
            return ["\(paths[0])  (from \(executable))"] + paths.dropFirst()
        } catch let error as GatewayError {
            throw error
        } catch let error as FileError {
            throw .installation(error.description)
        } catch {
            throw .installation("\(error)")
        }
    }

    private func replace(_ target: String, with source: String) throws {
        let staging = target + ".new-\(getpid())"
        let manager = FileManager.default
        try? manager.removeItem(atPath: staging)
        try manager.copyItem(atPath: source, toPath: staging)
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue {
            // rename(2) does not replace a non-empty directory: move the old one aside first.
            let old = target + ".old-\(getpid())"
            try manager.moveItem(atPath: target, toPath: old)
            defer { try? manager.removeItem(atPath: old) }
            try manager.moveItem(atPath: staging, toPath: target)
        } else if rename(staging, target) != 0 {
            throw GatewayError.installation("cannot move \(staging) to \(target): \(String(cString: strerror(errno)))")
        }
    }
}

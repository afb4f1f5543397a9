import ArgumentParser
import Foundation
import Gateway
import HostSystem

struct InstallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Install this binary, its device profiles and a systemd unit that runs one device a process (smartreader@SERIAL).",
        discussion: """
            Puts the running binary in PREFIX/bin, DeviceProfiles and Traces in PREFIX/share/smartreader, the unit \
            smartreader@.service in the unit directory and an example of per-device options in the configuration \
            directory; each file is replaced atomically, so running daemons keep their copy until restarted (an upgrade \
            is this command again, then `systemctl restart 'smartreader@*'`). As root it then creates the system user \
            (member of dialout and input through the unit) and reloads systemd; otherwise, or with --no-system-changes, \
            it prints those commands.
            Each device: its state in /var/lib/smartreader/SERIAL (owner-only, created by systemd), its extra run \
            options in CONFIG_DIR/SERIAL.env, then `systemctl enable --now smartreader@SERIAL`. See docs/operating.md \
            in the source tree.
            """)

    @Option(name: .long, help: "Where bin/ and share/ go.")
    var prefix = "/usr/local"

    @Option(name: .long, help: "Where the systemd unit goes.")
    var unitDirectory = "/etc/systemd/system"

    @Option(name: .customLong("config-directory"), help: "Where each device's SERIAL.env (extra run options) lives.")
    var configurationDirectory = "/etc/smartreader"

    @Option(name: .long, help: "The unprivileged system user the service runs as.")
    var user = "smartreader"

    @Flag(name: .long, help: "Only write files: print the user creation and systemd reload instead of running them.")
    var noSystemChanges = false

    // Packaging/deb/build stages the package with this, so the package and `install` ship the same files.
    @Option(name: .long, help: .hidden)
    var destdir = ""

    func run() async throws {
        let installation = ServiceInstallation(
            prefix: prefix, unitDirectory: unitDirectory, configurationDirectory: configurationDirectory, user: user,
            destinationRoot: destdir)
        let executable = DataFiles.executablePath
        // The package's binary is upgraded by apt: a copy of it in /usr/local with a unit in /etc would
        // shadow the package's unit and keep running the old binary after every upgrade.
        if destdir.isEmpty, executable == "/usr/bin/smartreader",
            FileManager.default.fileExists(atPath: "/lib/systemd/system/smartreader@.service")
        {
            throw ValidationError(
                "this smartreader comes from the Debian package, which already installed the binary, its data and the unit: "
                    + "upgrade it with apt; `smartreader install` is for a binary you built yourself")
        }
        // Without its profiles an installed device could not be provisioned, nor upgraded.
        let data = try ["DeviceProfiles", "Traces"].map { name throws(DataFilesError) in try DataFiles.directory(name) }
        for line in try installation.installFiles(executable: executable, data: data) { print("installed  \(line)") }
        // Read to the end: /proc files report size 0, and String(contentsOfFile:) returned only the start of this one.
        let maps = String(decoding: FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        if let runtime = ServiceInstallation.sharedSwiftRuntime(inMaps: maps) {
            let warning =
                "warning    this binary loads the Swift runtime from \(runtime): it starts only where that toolchain is installed. "
                + "For a gateway without Swift, build the Debian package (Packaging/deb/build) or use --static-swift-stdlib.\n"
            FileHandle.standardError.write(Data(warning.utf8))
        }
        if !destdir.isEmpty {
            return  // a staging tree: the package's maintainer scripts create the user and reload systemd
        }
        let commands = installation.systemCommands
        if noSystemChanges || geteuid() != 0 {
            print(noSystemChanges ? "not run (--no-system-changes):" : "not root; as root, run:")
            for command in commands { print("  " + command.joined(separator: " ")) }
        } else {
            for command in commands {
                print("running    \(command.joined(separator: " "))")
                let child = try ChildProcess(executable: command[0], arguments: Array(command.dropFirst()))
                let status = await child.waitForExit()
                guard status == 0 else { throw GatewayError.installation("\(command.joined(separator: " ")) exited with \(status)") }
            }
        }
        let example = ServiceInstallation.stateDirectory(serialNumber: "SERIAL")
        print(
            """
            next, for each device (SERIAL: its serial number):
              smartreader pki provision ... --state-dir \(example)   (or enroll: see `smartreader enroll --help`)
              cp \(installation.exampleEnvironmentPath) \(configurationDirectory)/SERIAL.env   (optional: its reader and options)
              systemctl enable --now smartreader@SERIAL
              smartreader status --state-dir \(example)
            """)
    }
}

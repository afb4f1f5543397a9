import ArgumentParser
import Gateway

/// `--state-dir`, declared once: every command that works on one device names it by its state directory.
struct StateDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: """
            The device's state directory, its non-volatile memory: made by `smartreader pki provision` or \
            `smartreader create`; /var/lib/smartreader/SERIAL on a service install.
            """)
    var path: String

    var state: DeviceStateDirectory { DeviceStateDirectory(path: path) }
}

/// `--state-dir` for a command that also works without a device (`config validate`).
struct OptionalStateDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: "A device's state directory: take that device's factory defaults and its certificate and key slots into account.")
    var path: String?

    var state: DeviceStateDirectory? { path.map { DeviceStateDirectory(path: $0) } }
}

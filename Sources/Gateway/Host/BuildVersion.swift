import CBuildStamp
import MQTT

/// This build of the daemon, for `smartreader --version` and the first line `run` logs: which
/// version runs on which gateway, and what it speaks. The emulated device's own identity (META's
/// Firmware, the device profile) is another thing and stays the profile's.
public struct BuildVersion: Sendable, Equatable, CustomStringConvertible {
    /// A tag (`1.2.0`), `TAG+N.gCOMMIT` N commits after one, or `0.0.0-dev+COMMIT` untagged;
    /// `0.0.0-dev` when nothing stamped it (a plain `swift build`).
    public let version: String
    public let commit: String?
    /// swift-nio-ssl's version: the BoringSSL inside the binary is the one it vendors.
    public let nioSSLVersion: String?

    public static let mqttVersions: [MQTTProtocolVersion] = [.v3_1_1, .v5]
    static let unstampedVersion = "0.0.0-dev"

    /// Empty stamps (the C target's defaults) mean "not stamped".
    init(stampedVersion: String, stampedCommit: String, stampedNIOSSLVersion: String) {
        version = stampedVersion.isEmpty ? Self.unstampedVersion : stampedVersion
        commit = stampedCommit.isEmpty ? nil : stampedCommit
        nioSSLVersion = stampedNIOSSLVersion.isEmpty ? nil : stampedNIOSSLVersion
    }

    public static let current = BuildVersion(
        stampedVersion: String(cString: smartreader_stamped_version()), stampedCommit: String(cString: smartreader_stamped_commit()),
        stampedNIOSSLVersion: String(cString: smartreader_stamped_nio_ssl_version()))

    private var commitText: String { commit ?? "unknown (not stamped: a plain `swift build`; Packaging/deb/build stamps it)" }
    private var tlsText: String { "BoringSSL, built into swift-nio-ssl " + (nioSSLVersion ?? "(version not stamped)") }
    private var mqttText: String { Self.mqttVersions.map(\.description).joined(separator: ", ") }

    /// `smartreader --version`.
    public var description: String {
        """
        smartreader \(version)
        commit      \(commitText)
        MQTT        \(mqttText)
        TLS         \(tlsText)
        """
    }

    /// One line for the log at start-up.
    public var logLine: String {
        "smartreader \(version) (commit \(commit ?? "unknown"); MQTT \(mqttText); TLS \(tlsText))"
    }
}

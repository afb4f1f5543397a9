import NIOCore

/// Where a client's connections come from. Either way the client installs the same MQTT
/// handlers on each one (codec, connect timeout, keep-alive, session), so what runs over a
/// given channel is the client as it runs over the network. A seam for the package's tests, not
/// part of the library's API: a given channel carries no TLS of ours.
package struct MQTTTransport: Sendable {
    /// Opens a connected channel to `host`:`port` on `eventLoop`, the client's.
    package typealias OpenChannel = @Sendable (_ host: String, _ port: Int, _ eventLoop: any EventLoop) async throws -> any Channel

    enum Kind: Sendable {
        case network
        case given(OpenChannel)
    }

    let kind: Kind

    /// TCP to the configured host and port, with TLS when the configuration has it.
    package static let network = MQTTTransport(kind: .network)

    /// Each connection on a channel `open` hands over, active and on the client's event loop: a
    /// test plays the broker on NIO's `NIOAsyncTestingChannel` (the client made with its
    /// `NIOAsyncTestingEventLoop`), reading the bytes the client writes and writing the broker's.
    /// The channel is the connection as it is: the client adds no TLS of its own, and the
    /// configuration's `tls` goes unused. An error thrown is a failed attempt, retried as one is.
    package static func channels(_ open: @escaping OpenChannel) -> MQTTTransport { MQTTTransport(kind: .given(open)) }

    /// Whether the client makes the TLS connection itself (and so needs a TLS context).
    var makesTLS: Bool {
        if case .network = kind { return true }
        return false
    }
}

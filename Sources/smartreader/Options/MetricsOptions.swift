import ArgumentParser
import Gateway
import Logging
import NIOPosix

/// `--metrics`: a Prometheus endpoint for as long as the command runs.
struct MetricsOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "Serve Prometheus metrics on HOST:PORT (e.g. 127.0.0.1:9464) at /metrics: events, spool, connection state, errors by kind.")
    var metrics: String?

    /// Starts the endpoint when asked; the caller stops it at the end.
    func start(logger: Logger) async throws -> MetricsEndpoint? {
        guard let metrics else { return nil }
        let address = try BrokerAddress(parsing: metrics)
        guard address.port != nil else { throw ValidationError("--metrics needs HOST:PORT, e.g. 127.0.0.1:9464") }
        return try await MetricsEndpoint.start(address: address, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger)
    }
}

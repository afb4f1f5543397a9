import CoreMetrics
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// Prometheus metrics over HTTP (`--metrics HOST:PORT`): bootstraps swift-metrics with a
/// Prometheus registry, once a process, and answers GET /metrics with its text format.
public struct MetricsEndpoint: Sendable {
    public let channel: any Channel

    /// Bootstraps the metrics system (a process may do this once) and listens on `address`.
    public static func start(address: BrokerAddress, eventLoopGroup: any EventLoopGroup, logger: Logger) async throws -> MetricsEndpoint {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(registry: registry))
                }
            }
            .bind(host: address.host, port: address.port ?? 9464)
            .get()
        logger.notice("metrics on http://\(address.host):\(channel.localAddress?.port ?? 0)/metrics")
        return MetricsEndpoint(channel: channel)
    }

    public func stop() async { try? await channel.close() }
}

/// Answers each request: the registry's text for GET /metrics, 404 for any other path.
final class MetricsRequestHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let found = request.method == .GET && request.uri.split(separator: "?").first == "/metrics"
        let body = found ? ByteBuffer(bytes: registry.emitToBuffer()) : ByteBuffer(string: "not found; try /metrics\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

import DeviceIdentity
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// One TLS handshake with the broker, presenting the device's certificate, that accepts any
/// server chain so as to see it: the doctor judges the chain itself and says what is wrong.
/// Nothing is sent after the handshake.
struct BrokerTLSProbe {
    struct Result {
        var tlsVersion: TLSVersion?
        var chain: [Certificate]
    }

    enum Failure: Error, CustomStringConvertible {
        case unreachable(String)
        case handshake(String)
        case timedOut

        var description: String {
            switch self {
            case .unreachable(let reason): "cannot open a TCP connection: \(reason)"
            case .handshake(let reason): "the TLS handshake failed: \(reason)"
            case .timedOut: "no TLS handshake within 10 s; is this port a TLS listener?"
            }
        }
    }

    /// Captures the chain as sent and lets the handshake go on, verified or not.
    private final class ChainRecorder: Sendable {
        let chain = Mutex<[NIOSSLCertificate]>([])
    }

    /// Completes when the handshake does, or fails with why it did not.
    private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
        typealias InboundIn = NIOAny
        let done: EventLoopPromise<Void>
        init(done: EventLoopPromise<Void>) { self.done = done }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event as? TLSUserEvent ?? .shutdownCompleted { done.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            done.fail(error)
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            done.fail(ChannelError.eof)
            context.fireChannelInactive()
        }

        /// A connection that never opened removes its handlers without going inactive.
        func handlerRemoved(context: ChannelHandlerContext) {
            done.fail(ChannelError.ioOnClosedChannel)
        }
    }

    static func run(host: String, port: Int, configuration: TLSConfiguration, group: any EventLoopGroup) async throws(Failure) -> Result {
        var configuration = configuration
        // The name is judged by the doctor too; NIOSSL would otherwise end the handshake over it.
        configuration.certificateVerification = .noHostnameVerification
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: configuration) } catch { throw .handshake("\(error)") }
        let recorder = ChainRecorder()
        let serverName = serverNameIndication(for: host)
        let channel: any Channel
        let handshake: EventLoopFuture<Void>
        do {
            let promiseBox = Mutex<EventLoopFuture<Void>?>(nil)
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(10))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = try NIOSSLClientHandler(context: context, serverHostname: serverName) { certificates, verified in
                            recorder.chain.withLock { $0 = certificates }
                            verified.succeed(.certificateVerified)
                        }
                        let done = channel.eventLoop.makePromise(of: Void.self)
                        promiseBox.withLock { $0 = done.futureResult }
                        do {
                            try channel.pipeline.syncOperations.addHandlers([handler, HandshakeWatcher(done: done)])
                        } catch {
                            // Not in the pipeline, the watcher never answers: a dropped promise stops a debug build.
                            done.fail(error)
                            throw error
                        }
                    }
                }
                .connect(host: host, port: port).get()
            handshake = promiseBox.withLock { $0 }!
        } catch {
            throw .unreachable("\(error)")
        }
        defer { channel.close(promise: nil) }
        let started = ContinuousClock.now
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(10)) { channel.close(promise: nil) }
        defer { timeout.cancel() }
        do {
            try await handshake.get()
        } catch {
            throw ContinuousClock.now - started >= .seconds(10) ? .timedOut : .handshake("\(error)")
        }
        let version = try? await channel.nioSSL_tlsVersion().get()
        let chain = recorder.chain.withLock { $0 }.compactMap { try? Certificate(derEncoded: $0.toDERBytes()) }
        return Result(tlsVersion: version ?? nil, chain: chain)
    }
}

import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Connecting, keeping the connection, and noticing its loss.
extension MQTTClient {
    func maintainConnection(failFast: Bool) async {
        var attempt = 0
        while !shuttingDown {
            var connected = false
            var connectedAt: ContinuousClock.Instant?
            do {
                try await runConnection {
                    connected = true
                    connectedAt = .now
                }
            } catch {
                // A loss after CONNACK says nothing about the version; a failed attempt may.
                if !connected {
                    switch versionNegotiation.record(Self.versionAnswer(to: error)) {
                    case .retryNow(let reason):
                        logger.notice("\(reason); connecting again at once with MQTT 3.1.1")
                        continue
                    case .backTo5:
                        logger.info("MQTT 3.1.1 failed too, so MQTT 5.0 was not the problem; the next attempt uses 5.0 again")
                    case .keepGoing, .learnt:
                        break
                    }
                }
                let error = MQTTConnectionError.classify(
                    reportable(error), host: configuration.host, port: configuration.port)
                if case .tlsHandshakeFailed(_, _, let raw)? = error as? MQTTConnectionError {
                    logger.debug("the TLS error as NIOSSL gave it: \(raw)")
                }
                if firstOutcome != nil, failFast {
                    // The caller of start() reports this one.
                    shuttingDown = true
                    await failEverything(with: error)
                    finishStreams()
                    return
                }
                // A loss after CONNACK was reported when it happened; this is a failed attempt.
                if !connected { connectionEnded(error) }
            }
            guard !shuttingDown else { return }
            attempt = configuration.backoff.attempt(after: attempt, connectionLasted: connectedAt.map { .now - $0 })
            let delay = configuration.backoff.delay(attempt: attempt)
            attempt += 1
            logger.info("reconnecting in \((delay.seconds * 10).rounded() / 10) s (attempt \(attempt))")
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    /// What a failed attempt is reported as: a close after a CONNECT with 5.0 pinned says so,
    /// since the usual cause, a broker without 5.0, has a fix the plain close would not name.
    private func reportable(_ error: any Error) -> any Error {
        guard let noConnAck = error as? MQTTNoConnAck else { return error }
        if case .closedWithoutConnAck = noConnAck.answer, protocolVersion == .v5, !versionNegotiation.fallsBackOnRefusal {
            return MQTTConnectionError.closedWithVersionPinned
        }
        return noConnAck.reported
    }

    func runConnection(onConnected: () -> Void) async throws {
        let clock = TLSHandshakeClock()
        let version = protocolVersion
        let answers = MQTTConnectionAnswers(eventLoop: eventLoop)
        let channel = try await openChannel(clock: clock, version: version, answers: answers)
        defer { channel.close(promise: nil) }
        channel.writeAndFlush(MQTTPacket.connect(configuration.connectPacket(version: version)), promise: nil)
        let connAck: ConnAckPacket
        do {
            // A future is not cancelled with its task: `disconnect()` cancels this one by closing the channel.
            connAck = try await withTaskCancellationHandler {
                try await answers.connAck.futureResult.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        } catch {
            throw noConnAck(error, clock: clock)
        }
        if connAck.reasonCode == .unsupportedProtocolVersion && versionNegotiation.fallsBackOnRefusal {
            throw MQTTVersionRefused()
        }
        guard !connAck.reasonCode.isFailure else {
            throw MQTTConnectionError.refused(connAck.reasonCode, reasonString: connAck.properties.reasonString)
        }
        if case .learnt(let reason) = versionNegotiation.record(.connAck) {
            logger.notice(
                "\(reason), and accepted MQTT 3.1.1: it does not speak MQTT 5.0; this client keeps to 3.1.1 until it is restarted (pinning the version saves the first attempt)"
            )
        }
        lastConnectTimings = MQTTConnectTimings(tlsHandshake: clock.handshake, connAck: .now - clock.started)
        established(connAck, on: channel)
        onConnected()
        // The session has been sending since CONNACK; this waits for the end of the connection.
        let error = try await withTaskCancellationHandler {
            try await answers.ended.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        connectionEnded(error)
        throw error
    }

    /// Why no CONNACK came: `MQTTNoConnAck` for a hang-up or the connect timeout once TLS (if
    /// any) is up; before the handshake completed it is a TLS problem, never the MQTT version.
    private func noConnAck(_ error: any Error, clock: TLSHandshakeClock) -> any Error {
        guard sslContext == nil || clock.handshake != nil else { return error }
        if case MQTTConnectionError.connectTimeout = error { return MQTTNoConnAck(reported: error, answer: .silentAfterConnect) }
        return Self.isHangUp(error) ? MQTTNoConnAck(reported: MQTTConnectionError.closedByBroker, answer: .closedWithoutConnAck) : error
    }

    func connectionEnded(_ error: any Error) {
        let error = MQTTConnectionError.classify(
            error, host: configuration.host, port: configuration.port)
        channel = nil
        guard !shuttingDown else { return }
        logger.warning("MQTT connection lost or refused: \(error)")
        eventsContinuation.yield(.disconnected(error))
    }

    func openChannel(clock: TLSHandshakeClock, version: MQTTProtocolVersion, answers: MQTTConnectionAnswers) async throws -> any Channel {
        let configuration = self.configuration
        let session = self.session
        let overTLS = sslContext != nil
        // The MQTT end of the pipeline, the same on every connection whatever carries its bytes.
        let addMQTTHandlers: @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void = { pipeline in
            try pipeline.addHandler(
                ByteToMessageHandler(MQTTPacketDecoder(version: version, maximumPacketSize: configuration.maximumPacketSize)))
            try pipeline.addHandler(MQTTPacketEncoder(version: version))
            // After the encoder, so that it sees the CONNECT as a packet on its way out.
            try pipeline.addHandler(MQTTConnectTimeoutHandler(timeout: configuration.connectTimeout, overTLS: overTLS))
            if configuration.keepAlive > 0 {
                try pipeline.addHandler(MQTTKeepAliveHandler(keepAlive: .seconds(Int64(configuration.keepAlive))))
            }
            try pipeline.addHandler(MQTTSessionHandler(session: session.value, version: version, answers: answers))
        }
        do {
            switch transport.kind {
            case .network:
                return try await connect(clock: clock, addMQTTHandlers: addMQTTHandlers)
            case .given(let open):
                let channel = try await open(configuration.host, configuration.port, eventLoop)
                guard channel.eventLoop === eventLoop else {
                    channel.close(promise: nil)
                    throw MQTTConnectionError.unreachable(
                        host: configuration.host, port: configuration.port,
                        underlying: "the channel given runs on another event loop than the client's, where its session lives; "
                            + "make the client with the channel's event loop")
                }
                do {
                    try await channel.eventLoop.submit { try addMQTTHandlers(channel.pipeline.syncOperations) }.get()
                } catch {
                    channel.close(promise: nil)
                    throw error
                }
                return channel
            }
        } catch {
            answers.fail(error)
            throw error
        }
    }

    /// TCP, and TLS when configured, to the broker.
    private func connect(
        clock: TLSHandshakeClock, addMQTTHandlers: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void
    ) async throws -> any Channel {
        let configuration = self.configuration
        let sslContext = self.sslContext
        let serverName = configuration.tlsServerName ?? configuration.host
        let sniName = (try? SocketAddress(ipAddress: serverName, port: 0)) == nil ? serverName : nil
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(TCPQuickAckHandler())
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: sniName))
                        try pipeline.addHandler(clock)
                    }
                    try addMQTTHandlers(pipeline)
                }
            }
        return try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
    }

    func established(_ connAck: ConnAckPacket, on channel: any Channel) {
        self.channel = channel
        if let serverKeepAlive = connAck.properties.serverKeepAlive, serverKeepAlive != configuration.keepAlive {
            logger.notice("the broker imposes a keep-alive of \(serverKeepAlive) s instead of \(configuration.keepAlive) s")
        }
        logger.info("connected (MQTT \(protocolVersion), session present: \(connAck.sessionPresent))")
        logger.debug(
            "up to \(connAck.properties.receiveMaximum.map(String.init) ?? "65535") QoS 1 messages on the wire (the broker's Receive Maximum), \(configuration.maximumInFlight) awaiting PUBACK; broker's Maximum Packet Size \(connAck.properties.maximumPacketSize.map(String.init) ?? "unstated")"
        )
        eventsContinuation.yield(.connected(connAck))
        if let first = firstOutcome {
            firstOutcome = nil
            first.resume(returning: connAck)
        }
    }
}

/// A 5.0 CONNECT refused for its version: the client tries again with 3.1.1.
struct MQTTVersionRefused: Error {}

/// The broker hung up after CONNECT, or said nothing within the connect timeout, with TLS (if
/// any) complete: what a broker that cannot parse the CONNECT does. `reported` is what the
/// user hears if the version turns out not to be the cause.
struct MQTTNoConnAck: Error {
    let reported: any Error
    let answer: MQTTVersionFallback
}

extension MQTTClient {
    /// A close or a reset, as opposed to a TLS alert (under TLS 1.3 the broker judges the
    /// client's certificate after the client saw the handshake complete: never a version problem).
    static func isHangUp(_ error: any Error) -> Bool {
        switch error {
        case MQTTConnectionError.closedByBroker, NIOSSLError.uncleanShutdown: true
        case let io as IOError: [ECONNRESET, EPIPE].contains(io.errnoCode)
        case ChannelError.eof, ChannelError.ioOnClosedChannel: true
        default: false
        }
    }

    static func versionAnswer(to error: any Error) -> MQTTVersionNegotiation.Answer {
        switch error {
        case is MQTTVersionRefused: .versionRefused
        case let noConnAck as MQTTNoConnAck: .noConnAck(noConnAck.answer)
        default: .otherFailure
        }
    }
}

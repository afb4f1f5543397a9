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
            do {
                try await runConnection { connected = true }
            } catch is MQTTVersionRefused {
                logger.notice("the broker refused MQTT 5.0 (reason 0x84); connecting again with MQTT 3.1.1")
                protocolVersion = .v3_1_1
                continue
            } catch {
                let error = MQTTConnectionError.classify(
                    error, host: configuration.host, port: configuration.port)
                if firstOutcome != nil, failFast {
                    // The caller of start() reports this one.
                    shuttingDown = true
                    failEverything(with: error)
                    finishStreams()
                    return
                }
                // A loss after CONNACK was reported when it happened; this is a failed attempt.
                if !connected { connectionEnded(error) }
            }
            guard !shuttingDown else { return }
            if connected { attempt = 0 }
            let delay = configuration.backoff.delay(attempt: attempt)
            attempt += 1
            logger.info("reconnecting in \((delay.seconds * 10).rounded() / 10) s (attempt \(attempt))")
            do { try await Task.sleep(for: delay) } catch { return }
        }
    }

    func runConnection(onConnected: () -> Void) async throws {
        let clock = TLSHandshakeClock()
        let asyncChannel = try await openChannel(clock: clock)
        try await asyncChannel.executeThenClose { inbound in
            asyncChannel.channel.writeAndFlush(
                MQTTPacket.connect(configuration.connectPacket(version: protocolVersion)), promise: nil)
            var iterator = inbound.makeAsyncIterator()
            guard let first = try await iterator.next() else { throw MQTTConnectionError.closedByBroker }
            guard case .connAck(let connAck) = first else {
                throw MQTTConnectionError.protocolViolation("\(first.type) before CONNACK")
            }
            if connAck.reasonCode == .unsupportedProtocolVersion && protocolVersion == .v5 {
                throw MQTTVersionRefused()
            }
            guard !connAck.reasonCode.isFailure else {
                throw MQTTConnectionError.refused(
                    connAck.reasonCode, reasonString: connAck.properties.reasonString)
            }
            lastConnectTimings = MQTTConnectTimings(tlsHandshake: clock.handshake, connAck: .now - clock.started)
            established(connAck, on: asyncChannel.channel)
            onConnected()
            do {
                while let packet = try await iterator.next() {
                    try handle(packet, on: asyncChannel.channel)
                }
                throw MQTTConnectionError.closedByBroker
            } catch {
                // Reported before the channel's close completes, which can take the TLS shutdown timeout.
                connectionEnded(error)
                throw error
            }
        }
    }

    func connectionEnded(_ error: any Error) {
        let error = MQTTConnectionError.classify(
            error, host: configuration.host, port: configuration.port)
        channel = nil
        guard !shuttingDown else { return }
        logger.warning("MQTT connection lost or refused: \(error)")
        eventsContinuation.yield(.disconnected(error))
    }

    func openChannel(clock: TLSHandshakeClock) async throws -> NIOAsyncChannel<MQTTPacket, Never> {
        let configuration = self.configuration
        let sslContext = self.sslContext
        let serverName = configuration.tlsServerName ?? configuration.host
        let sniName = (try? SocketAddress(ipAddress: serverName, port: 0)) == nil ? serverName : nil
        let timeout = TimeAmount(configuration.connectTimeout)
        let version = protocolVersion
        return try await ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(
                            NIOSSLClientHandler(context: sslContext, serverHostname: sniName))
                        try pipeline.addHandler(clock)
                    }
                    try pipeline.addHandler(
                        ByteToMessageHandler(
                            MQTTPacketDecoder(
                                version: version,
                                maximumPacketSize: configuration.maximumPacketSize)))
                    try pipeline.addHandler(MQTTPacketEncoder(version: version))
                    // After the encoder, so that it sees the CONNECT as a packet on its way out.
                    try pipeline.addHandler(MQTTConnectTimeoutHandler(timeout: configuration.connectTimeout))
                    try pipeline.addHandler(MQTTPublishWindowHandler())
                    if configuration.keepAlive > 0 {
                        try pipeline.addHandler(
                            MQTTKeepAliveHandler(keepAlive: .seconds(Int64(configuration.keepAlive))))
                    }
                    return try NIOAsyncChannel<MQTTPacket, Never>(wrappingChannelSynchronously: channel)
                }
            }
    }

    func established(_ connAck: ConnAckPacket, on channel: any Channel) {
        self.channel = channel
        brokerLimits = BrokerLimits(connAck)
        if let serverKeepAlive = connAck.properties.serverKeepAlive,
            serverKeepAlive != configuration.keepAlive
        {
            logger.notice(
                "the broker imposes a keep-alive of \(serverKeepAlive) s instead of \(configuration.keepAlive) s"
            )
        }
        logger.info(
            "connected (MQTT \(protocolVersion), session present: \(connAck.sessionPresent))"
        )
        logger.debug(
            "up to \(brokerLimits.receiveMaximum) QoS 1 messages on the wire (the broker's Receive Maximum), \(windowSize) awaiting PUBACK; broker's Maximum Packet Size \(brokerLimits.maximumPacketSize.map(String.init) ?? "unstated")"
        )
        let resend = inFlight.packetsInOrder()
        if !resend.isEmpty { logger.info("re-sending \(resend.count) unacknowledged messages") }
        write(
            resend.map { packet in
                var packet = packet
                packet.dup = true
                return .publish(packet)
            })
        eventsContinuation.yield(.connected(connAck))
        if let first = firstOutcome {
            firstOutcome = nil
            first.resume(returning: connAck)
        }
    }
}

/// A 5.0 CONNECT refused for its version: the client tries again with 3.1.1.
struct MQTTVersionRefused: Error {}

import NIOCore

/// One connection's end of the session, last in the pipeline: each packet from the broker goes
/// to the session on the event loop, and the two moments a connecting client waits for, CONNACK
/// and the end of the connection, complete promises. What the session writes through this
/// handler's context passes the keep-alive and the encoder on its way out.
final class MQTTSessionHandler: ChannelInboundHandler {
    typealias InboundIn = MQTTPacket

    private enum State {
        case awaitingConnAck
        case connected
        /// CONNACK said no; the broker closes next.
        case refused
        case ended
    }

    private let session: MQTTSession
    private let version: MQTTProtocolVersion
    private let answers: MQTTConnectionAnswers
    private var state = State.awaitingConnAck

    init(session: MQTTSession, version: MQTTProtocolVersion, answers: MQTTConnectionAnswers) {
        self.session = session
        self.version = version
        self.answers = answers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let packet = unwrapInboundIn(data)
        switch state {
        case .awaitingConnAck:
            guard case .connAck(let answer) = packet else {
                return end(context, MQTTConnectionError.protocolViolation("\(packet.type) before CONNACK"))
            }
            if answer.reasonCode.isFailure {
                state = .refused
            } else {
                state = .connected
                session.attach(context, connAck: answer, version: version)
            }
            answers.connAck.succeed(answer)
        case .connected:
            handle(packet, context: context)
        case .refused, .ended:
            break
        }
    }

    private func handle(_ packet: MQTTPacket, context: ChannelHandlerContext) {
        switch packet {
        case .publish(let publish): session.receive(publish)
        case .pubRel(let release): session.release(release)
        case .pubAck(let ack): session.acknowledge(ack)
        case .subAck(let ack), .unsubAck(let ack): session.answered(ack)
        case .pingResp: break
        case .disconnect(let reason):
            end(context, MQTTConnectionError.disconnectedByBroker(reason.reasonCode, reasonString: reason.properties.reasonString))
        case .connect, .connAck, .pubRec, .pubComp, .subscribe, .unsubscribe, .pingReq, .auth:
            end(context, MQTTConnectionError.protocolViolation("unexpected \(packet.type) from the broker"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .connected = state { session.readComplete() }
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let unencodable = error as? MQTTUnencodablePacket { return session.unencodable(unencodable) }
        end(context, error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(MQTTConnectionError.closedByBroker)
        context.fireChannelInactive()
    }

    /// A connection that never became active (TCP refused) still answers both promises.
    func handlerRemoved(context: ChannelHandlerContext) {
        finish(MQTTConnectionError.closedByBroker)
    }

    private func end(_ context: ChannelHandlerContext, _ error: any Error) {
        finish(error)
        context.close(promise: nil)
    }

    /// The first reason wins: a DISCONNECT or a decoding error, not the close that follows it.
    private func finish(_ error: any Error) {
        switch state {
        case .awaitingConnAck: answers.connAck.fail(error)
        case .connected: session.detach(error: error)
        case .refused: break
        case .ended: return
        }
        state = .ended
        answers.ended.succeed(error)
    }
}

/// The two moments a connecting client waits for.
struct MQTTConnectionAnswers: Sendable {
    /// CONNACK, whatever its reason code; failed with why none came.
    let connAck: EventLoopPromise<ConnAckPacket>
    /// Succeeds with why the connection ended, as soon as that is known (before the close completes).
    let ended: EventLoopPromise<any Error>

    init(eventLoop: any EventLoop) {
        connAck = eventLoop.makePromise()
        ended = eventLoop.makePromise()
    }

    /// The connection never came up; a second answer to either promise is ignored.
    func fail(_ error: any Error) {
        connAck.fail(error)
        ended.succeed(error)
    }
}

import Foundation
import Logging
import MQTT
import NIOCore
import Spool
import SpringCore

/// What a device says about itself: META and STATUS, and the greeting of every connection
/// (META, STATUS ready and the subscriptions to `rdr/cmd` and, when enabled, `cfg/set`), made
/// on the client's event loop the moment CONNACK arrives, so that a backend always learns who
/// the device is before it hears its tags, and nothing waits for another's acknowledgement.
struct DeviceAnnouncement: Sendable {
    let settings: DeviceSettings
    let bootCount: Int
    let bootInstant: ContinuousClock.Instant
    let outbox: Outbox
    let statusReportsSpool: Bool
    let qos: MQTTQoS
    let retain: Bool
    let subscriptions: [MQTTSubscription]
    /// Told the broker's answer to each connection's META (a QoS 0 META is never answered).
    let metaAnswered: @Sendable (MQTTReasonCode) -> Void
    let logger: Logger

    var uptime: Uptime { Uptime(bootCount: bootCount, since: bootInstant) }

    func status(_ state: StatusMessage.State) -> StatusMessage {
        guard statusReportsSpool else { return StatusMessage(state: state, uptime: uptime) }
        let report = outbox.report
        return StatusMessage(
            state: state, uptime: uptime,
            spool: SpoolStatusField(
                depth: report.depth, dropped: report.losses.dropped, expired: report.losses.expired, oldestAge: report.oldestAge(),
                refused: report.refused, discarded: report.losses.discarded))
    }

    func meta(ipAddress: String) -> MetaMessage {
        let configuration = settings.configuration
        return MetaMessage(
            constants: settings.factory.constants, serialNumber: settings.factory.serialNumber,
            configID: MetaMessage.configID(from: configuration[.configID] ?? []), inventory: configuration.string(.inventory),
            location: configuration.string(.location), physicalAddress: physicalAddress(ipAddress: ipAddress),
            ipAddress: ipAddress, outputFormat: settings.outputFormat, open: MetaMessage.isOpen(settings.device))
    }

    func greeting(localAddress: SocketAddress?) -> MQTTGreeting {
        MQTTGreeting(
            messages: [
                message(topic: settings.topics.meta, json: meta(ipAddress: localAddress?.ipAddress ?? "").json, answered: metaAnswered),
                message(topic: settings.topics.status, json: status(.ready).json),
            ],
            subscriptions: subscriptions)
    }

    /// A state message (META, STATUS, cfg/result) at the device's QoS; a refusal is logged.
    func message(
        topic: String, json: String, retain: Bool? = nil, answered: (@Sendable (MQTTReasonCode) -> Void)? = nil
    ) -> OutboundMessage {
        let logger = self.logger
        return OutboundMessage(topic: topic, payload: ByteBuffer(string: json), qos: qos, retain: retain ?? self.retain) { result in
            guard case .success(let ack) = result else { return }
            if ack.reasonCode.isFailure { logger.error("the broker refused \(topic): \(ack.reasonCode)") }
            if qos != .atMostOnce { answered?(ack.reasonCode) }
        }
    }

    /// META's PhysAddress, 12 hex digits as a SpringPark sends it: the MAC of the interface the
    /// broker connection leaves from; without one (loopback), a locally administered address
    /// derived from the serial number, stable and never a real card's.
    private func physicalAddress(ipAddress: String) -> String {
        if let address = InterfaceHardwareAddress.of(ipAddress: ipAddress) { return address }
        let serial = Hex.decode(settings.factory.serialNumber) ?? []
        return Hex.encode([0x02, 0x00] + Array(serial.suffix(4)))
    }
}

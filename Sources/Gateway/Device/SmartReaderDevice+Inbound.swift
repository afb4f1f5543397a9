import Foundation
import MQTT
import SpringCore

/// What the broker sends the device: configuration pushes on `cfg/set`, reader commands on
/// `rdr/cmd`, which change the indicator state, count in the metrics and go to the command hook.
extension SmartReaderDevice {
    /// `cfg/set` (when enabled) and `rdr/cmd`: the two topics the device listens on.
    func handleCommands() async {
        // At most one per device: it turns timed relays off when their time ends (see settleRelays).
        var relayTimer: Task<Void, Never>?
        defer { relayTimer?.cancel() }
        for await message in client.inboundMessages {
            if message.topic == settings.topics.configurationSet, let remoteConfiguration {
                // An empty retained message is how a backend clears the one the broker keeps: nothing to apply.
                guard message.payload.readableBytes > 0 else {
                    logger.info("ignoring an empty message on \(message.topic)")
                    continue
                }
                let push = ConfigurationPush(
                    content: Array(message.payload.readableBytesView), source: message.topic,
                    brokerDelivery: message.retain ? .retained : .live)
                // Handed on, not applied: applying reboots this device, which ends this loop.
                guard !remoteConfiguration.hear(push) else { continue }
                // No one takes pushes any more: the daemon is shutting down. Said, as apply says it.
                let outcome = ConfigurationOutcome(result: .rejected, source: push.source, reason: "the device is shutting down")
                logger.error("configuration \(outcome.description)")
                await report(outcome)
                continue
            }
            guard message.topic == settings.topics.readerCommand else {
                logger.debug("ignoring message on \(message.topic)")
                continue
            }
            let payload = Array(message.payload.readableBytesView)
            let device = settings.factory.serialNumber
            let now = Date()
            do {
                let command = try HostCommand.parse(payload).validated()
                indicators.apply(command, at: now)
                logger.info("command applied: \(command.json)")
                GatewayMetrics.readerCommand(device: device, indicators, refused: false, at: now)
                options.commandHook?.submit(command, device: device, logger: logger)
                if command.relays != nil {
                    relayTimer?.cancel()
                    relayTimer = Task { await self.settleRelays() }
                }
            } catch {
                indicators.refuse(because: "\(error)", at: now)
                logger.warning("refusing command on \(message.topic): \(error)")
                GatewayMetrics.readerCommand(device: device, indicators, refused: true, at: now)
            }
        }
    }

    /// Sleeps until each timed relay's end, then settles the state and records the relays again:
    /// a gauge is only what was last recorded, so without this one would say "on" for good.
    private func settleRelays() async {
        while let expiry = indicators.nextRelayExpiry(after: Date()) {
            do {
                try await Task.sleep(for: .seconds(max(expiry.timeIntervalSinceNow, 0)))
            } catch {
                return
            }
            let now = Date()
            indicators.settle(at: now)
            GatewayMetrics.relays(device: settings.factory.serialNumber, indicators, at: now)
        }
    }
}

import Foundation
import MQTT
import SpringCore

/// What the broker sends the device: configuration pushes on `cfg/set`, reader commands on
/// `rdr/cmd`, which change the indicator state, count in the metrics and go to the command hook.
extension SmartReaderDevice {
    /// `cfg/set` (when enabled) and `rdr/cmd`: the two topics the device listens on.
    func handleCommands() async {
        for await message in client.inboundMessages {
            if message.topic == settings.topics.configurationSet, let configurationPushes {
                // An empty retained message is how a backend clears the one the broker keeps: nothing to apply.
                guard message.payload.readableBytes > 0 else {
                    logger.info("ignoring an empty message on \(message.topic)")
                    continue
                }
                let push = ConfigurationPush(
                    content: Array(message.payload.readableBytesView), source: message.topic,
                    brokerDelivery: message.retain ? .retained : .live)
                // Not awaited here: applying reboots this device, which ends this loop.
                Task { await configurationPushes(push) }
                continue
            }
            guard message.topic == settings.topics.readerCommand else {
                logger.debug("ignoring message on \(message.topic)")
                continue
            }
            let payload = Array(message.payload.readableBytesView)
            let device = settings.factory.serialNumber
            do {
                let command = try HostCommand.parse(payload).validated()
                indicators.apply(command, at: Date())
                logger.info("command applied: \(command.json)")
                GatewayMetrics.readerCommand(device: device, indicators, refused: false)
                options.commandHook?.submit(command, device: device, logger: logger)
            } catch {
                indicators.refuse(because: "\(error)", at: Date())
                logger.warning("refusing command on \(message.topic): \(error)")
                GatewayMetrics.readerCommand(device: device, indicators, refused: true)
            }
        }
    }
}

/// The effective settings in words, the way `config show` opens: what a person checks first.
public enum ConfigurationSummary {
    public static func lines(for data: ConfigData) -> [String] {
        let options = ClientOptionsRegister(bytes: data[.clientOptions] ?? []) ?? .factoryDefault
        let tls = TLSOptionsRegister(bytes: data[.tlsOptions] ?? []) ?? TLSOptionsRegister(bytes: [0, 0, 0, 0, 0])!
        let port = NetworkPortsRegister(bytes: data[.networkPorts] ?? []).effectiveMQTTPort(tls: tls.enabled)
        let broker = data.string(.broker).isEmpty ? "(no broker set)" : "\(data.string(.broker)):\(port)"
        var transport = "plain MQTT (refused without --insecure)"
        if tls.enabled {
            let check: String
            switch tls.serverCheck {
            case .acceptAny: check = "any server certificate accepted (refused without --insecure)"
            case .verifyServer: check = "Verify Server (not emulated: refused, write Verify PKI)"
            case .verifyCA: check = "Verify CA without chaining (not emulated: refused, write Verify PKI)"
            case .verifyPKI: check = "server chain checked against the CA in slot \(Hex.encode([tls.serverCASlot]))"
            }
            transport = "TLS 1.2+, \(check)"
            // The emulator always checks the name and sends SNI; a register saying otherwise is refused, and said so here.
            if tls.serverCheck != .acceptAny && !tls.checkServerName { transport += ", broker name check off (not emulated: refused)" }
            if !tls.sendSNI { transport += ", SNI off (not emulated: refused)" }
            transport +=
                tls.clientAuthentication
                ? ", client certificate from slot \(Hex.encode([tls.clientCertificateSlot])), key slot \(Hex.encode([tls.clientKeySlot]))"
                    + (tls.sendClientCA ? ", client CA \(Hex.encode([tls.clientCASlot])) chained" : "")
                : ", no client certificate"
        }
        // Retaining META and STATUS is an extension: with extensions off nothing is retained, whatever 0289 says.
        let extensions = (try? DeviceConfiguration.emulatorFlag(DeviceConfiguration.extensionsKey, in: data)) ?? nil ?? true
        let retained = options.brokerAcceptsRetain && extensions
        let topics = DeviceTopics(
            prefix: data.string(.topicPrefix), deviceID: data.string(.deviceID).isEmpty ? "{serial}" : data.string(.deviceID))
        return [
            "broker \(broker), \(transport)",
            "topics \(topics.all.dropLast())..., client ID \(data.string(.clientID).isEmpty ? "= certificate CN" : data.string(.clientID))",
            "publish QoS \(options.publishQoS), subscribe QoS \(options.subscribeQoS), keep-alive \(options.keepAlive) s, "
                + "connect timeout \(options.connectTimeout) s, response timeout \(options.responseTimeout) s",
            "STATUS every \(options.statusInterval) s, reconnect backoff up to \(options.reconnectInterval) s, "
                + "Last Will \(options.brokerAcceptsWill ? "on" : "off"), retained META/STATUS \(retained ? "on" : "off")",
            outputLine(for: data),
        ]
    }

    private static func outputLine(for data: ConfigData) -> String {
        let format = (try? SmartReaderFeatures(bytes: data[.outputFormats] ?? []))?.networkFormat.protocolName ?? "(02A0 not valid)"
        let template: String
        switch Result(catching: { () throws(ConfigurationError) in try ActiveTemplate.enabled(in: data) }) {
        case .success(let templates) where !templates.isEmpty:
            template =
                "TagId by " + templates.map { "template \($0.number) (lookup \(Hex.encode([$0.lookup.code])))" }.joined(separator: ", ")
        case .success: template = "TagId as read (no template)"
        case .failure(let error): template = "templates not valid: \(error)"
        }
        let repeatInterval = (try? ReadDelaysRegister(bytes: data[.readDelays] ?? []))?.repeatInterval
        let again = repeatInterval.map { "\(Double($0 / .milliseconds(1)) / 1000) s" } ?? "its removal"
        let remote = (try? DeviceConfiguration.remoteConfiguration(in: data)) ?? false
        return "events as \(format), \(template), same tag again after \(again), cfg/set \(remote ? "on" : "off")"
    }
}

/// What of register 0288 the emulator does exactly as a SpringPark does, and what it refuses
/// rather than silently doing something else: the TLS client (swift-nio-ssl, the MQTT module)
/// always checks the broker's chain up to the CA in the slot, checks the broker's name, and
/// sends that name in SNI. A mode it would quietly turn into another is refused, with the value to write.
extension TLSOptionsRegister {
    public func checkEmulated() throws(ConfigurationError) {
        if let byte = reservedBits.firstIndex(where: { $0 != 0 }) {
            throw .badRegister(
                .tlsOptions,
                reason: "sets bits the vendor reserves (byte \(byte): \(Hex.encode([reservedBits[byte]])), rfu0 in config/springpark.xml); "
                    + "clear them, e.g. 370E8D4D8F as `pki provision` writes")
        }
        guard enabled else { return }
        switch serverCheck {
        case .acceptAny, .verifyPKI: break
        case .verifyServer:
            throw .badRegister(
                .tlsOptions,
                reason: "asks to verify the broker's own certificate (byte 0 bits 5-4 = 1, Verify Server, tls.server-check "
                    + "verify-server), which the emulator does not do: it verifies the broker's chain up to a CA. Write "
                    + "Verify PKI (bits 5-4 = 3, tls.server-check verify-pki, e.g. 370E8D4D8F) and put the broker's CA in slot "
                    + Hex.encode([serverCASlot]))
        case .verifyCA:
            throw .badRegister(
                .tlsOptions,
                reason: "asks to verify the broker's certificate against its CA without chaining (byte 0 bits 5-4 = 2, Verify CA, "
                    + "tls.server-check verify-ca), which the emulator does not do: it verifies the whole chain. Write Verify PKI "
                    + "(bits 5-4 = 3, tls.server-check verify-pki, e.g. 370E8D4D8F)")
        }
        if serverCheck != .acceptAny && !checkServerName {
            throw .badRegister(
                .tlsOptions,
                reason: "turns the broker name check off (byte 0 bit 2, tls.check-name off), which the emulator does not do: "
                    + "it always checks that the broker's certificate names the host it connects to; set tls.check-name on "
                    + "(byte 0 | 04), and give the broker a certificate for that name")
        }
        if !sendSNI {
            throw .badRegister(
                .tlsOptions,
                reason: "turns SNI off (byte 0 bit 1, tls.sni off), which the emulator does not do: it sends the broker's name "
                    + "in SNI (none for an IP address); set tls.sni on (byte 0 | 02)")
        }
        if clientAuthentication && clientKeyStore.rawValue > KeyStore.atecc.rawValue {
            throw .badRegister(
                .tlsOptions,
                reason: "keeps the client key in secure element \(clientKeyStore.rawValue) (byte 3 bits 7-6), which the vendor "
                    + "reserves; use 1 (ATECC, tls.client-key-store atecc) or 0 (raw)")
        }
    }
}

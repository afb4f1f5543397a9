import Testing

@testable import SpringCore

@Test("READER EVENT matches the reference's example byte for byte")
func readerEventMatchesReference() {
    let message = ReaderEventMessage(
        interface: "13.56", protocolName: "NFC-A", template: 1, rssi: nil, tagID: "047DAE02C84080", move: nil,
        tagData: "00047DAE02C84080", tagDetails: nil, uptime: Uptime(bootCount: 699, milliseconds: 16_850))
    #expect(
        message.json
            == #"{"Interface":"13.56","Protocol":"NFC-A","Template":1,"TagId":"047DAE02C84080","TagData":"00047DAE02C84080","Uptime":"699:16.850"}"#
    )
}

@Test("READER EVENT carries RSSI, Move and TagDetails when present, escaped")
func readerEventOptionalFields() {
    let message = ReaderEventMessage(
        interface: "13.56", protocolName: "NFC-A", template: 0, rssi: -48, tagID: "08A1C3F2", move: "Insert,Remove",
        tagData: "", tagDetails: "say \"hi\"\n", uptime: Uptime(bootCount: 3, milliseconds: 5))
    #expect(
        message.json
            == #"{"Interface":"13.56","Protocol":"NFC-A","Template":0,"RSSI":-48,"TagId":"08A1C3F2","Move":"Insert,Remove","TagDetails":"say \"hi\"\n","Uptime":"3:0.005"}"#
    )
}

@Test("the Last Will is STATUS offline,dead with no Uptime")
func lastWill() {
    #expect(StatusMessage.lastWill.json == #"{"State":"offline,dead"}"#)
    #expect(
        StatusMessage(state: .ready, uptime: Uptime(bootCount: 12, milliseconds: 61_007)).json
            == #"{"State":"online,ready","Uptime":"12:61.007"}"#)
}

@Test("topics follow {prefix}/{id}/...")
func topics() {
    let topics = DeviceTopics(prefix: "springcard/springcore/", deviceID: "DA1275B0")
    #expect(topics.meta == "springcard/springcore/DA1275B0/meta")
    #expect(topics.status == "springcard/springcore/DA1275B0/status")
    #expect(topics.readerEvent == "springcard/springcore/DA1275B0/rdr/evt")
    #expect(topics.readerCommand == "springcard/springcore/DA1275B0/rdr/cmd")
}

@Test("register 0289's factory default reads as the reference says")
func clientOptionsDefault() {
    let options = ClientOptionsRegister.factoryDefault
    #expect(options.subscribeQoS == 1 && options.publishQoS == 1)
    #expect(options.brokerAcceptsWill && options.brokerAcceptsRetain && !options.createTopicsBeforeSubscribing)
    #expect(
        [options.connectTimeout, options.responseTimeout, options.keepAlive, options.statusInterval, options.reconnectInterval] == [
            20, 3, 10, 30, 30,
        ])
    #expect(options.bytes == [0x53, 0x14, 0x03, 0x0A, 0x1E, 0x1E])
    #expect(ClientOptionsRegister(bytes: [0x56, 0x14, 0x03, 0x0A, 0x1E, 0x1E])?.brokerAcceptsRetain == false)
}

/// Layout from SpringCard's register map (springcard/springcore-xmlfiles config/springpark.xml,
/// register 0288): byte 3 bits 7-6 the key's secure element (1 ATECC), bits 3-0 its index;
/// byte 4 bit 7 chain the CA certificate, bits 3-0 its index.
@Test("register 0288 as provisioned, 370E8D4D8F: TLS, SNI, CN check, PKI with chaining, CA 0E, certificate 0D, ATECC key 0D, CA 0F chained")
func tlsOptionsProvisioned() {
    let tls = TLSOptionsRegister.provisioned
    #expect(
        tls.enabled && tls.sendSNI && tls.checkServerName && tls.serverCheck == .verifyPKI && tls.clientAuthentication && tls.sendClientCA)
    #expect(tls.serverCASlot == 0x0E && tls.clientCertificateSlot == 0x0D && tls.clientKeySlot == 0x0D && tls.clientCASlot == 0x0F)
    #expect(tls.clientKeyStore == .atecc)
    #expect(tls.bytes == [0x37, 0x0E, 0x8D, 0x4D, 0x8F])
    #expect(TLSOptionsRegister(bytes: [0, 0, 0, 0, 0])?.enabled == false)
}

@Test("register 0285: the MQTT port is the sixth big-endian word; zero means 1883 or 8883")
func networkPorts() {
    var bytes = [UInt8](repeating: 0, count: 14)
    #expect(NetworkPortsRegister(bytes: bytes).effectiveMQTTPort(tls: true) == 8883)
    #expect(NetworkPortsRegister(bytes: []).effectiveMQTTPort(tls: false) == 1883)
    bytes[10] = 0x22
    bytes[11] = 0xB3
    #expect(NetworkPortsRegister(bytes: bytes).effectiveMQTTPort(tls: true) == 8883)
    bytes[11] = 0xB4
    #expect(NetworkPortsRegister(bytes: bytes).mqttPort == 8884)
}

@Test("$SCCMD commands parse with and without either checksum form")
func sccmd() throws {
    #expect(try HostCommand.parse(Array("$SCCMD;SEQ=60".utf8)) == HostCommand(parameters: [("SEQ", "60")]))
    let body = "SCCMD;LEDS=92929292;BUZZ=0064"
    let nmea = SCRDRChecksum.compute(body: body)
    let inclusive = nmea ^ 0x24 ^ 0x2A
    for checksum in [nmea, inclusive] {
        let text = "$\(body)*\(String(checksum, radix: 16, uppercase: true))\r\n"
        #expect(try HostCommand.parse(Array(text.utf8)) == HostCommand(parameters: [("LEDS", "92929292"), ("BUZZ", "0064")]))
    }
    #expect(throws: HostCommandError.badChecksum("00")) { try HostCommand.parse(Array("$SCCMD;SEQ=61*00".utf8)) }
    #expect(throws: HostCommandError.badParameter("SEQ")) { try HostCommand.parse(Array("$SCCMD;SEQ".utf8)) }
    #expect(throws: HostCommandError.tooLong(262)) { try HostCommand.parse(Array(("$SCCMD;A=" + String(repeating: "1", count: 253)).utf8)) }
    #expect(
        try HostCommand.parse(Array(#"{"SEQ":61,"LEDS":"92929292"}"#.utf8))
            == HostCommand(parameters: [("SEQ", "61"), ("LEDS", "92929292")]))
    #expect(throws: HostCommandError.self) { try HostCommand.parse(Array("{nope".utf8)) }
    #expect(throws: HostCommandError.unrecognised("hello")) { try HostCommand.parse(Array("hello".utf8)) }
}

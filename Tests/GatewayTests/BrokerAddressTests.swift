import Testing

@testable import Gateway

@Test(
    "broker addresses: host, host:port, [IPv6]:port",
    arguments: [
        ("localhost", BrokerAddress(host: "localhost", port: nil)),
        ("broker.example:8883", BrokerAddress(host: "broker.example", port: 8883)),
        ("127.0.0.1:1", BrokerAddress(host: "127.0.0.1", port: 1)),
        ("[::1]:8884", BrokerAddress(host: "::1", port: 8884)),
        ("[::1]", BrokerAddress(host: "::1", port: nil)),
        ("::1", BrokerAddress(host: "::1", port: nil)),
    ])
func parses(text: String, expected: BrokerAddress) throws {
    #expect(try BrokerAddress(parsing: text) == expected)
}

@Test(
    "a bad broker address is refused with the accepted forms",
    arguments: ["", ":8883", "host:0", "host:65536", "host:port", "[::1", "[::1]x"])
func refuses(text: String) {
    #expect(throws: GatewayError.self) { try BrokerAddress(parsing: text) }
}

@Test("addresses print back in the form they parse from")
func printsBack() throws {
    for text in ["localhost:8883", "[::1]:8883", "broker"] {
        #expect(try BrokerAddress(parsing: text).description == text)
    }
}

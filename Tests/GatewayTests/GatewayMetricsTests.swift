import Foundation
import MQTT
import Testing

@testable import Gateway

@Test("errors are counted by kind: an MQTT connection error by its case, anything else by its type")
func errorKinds() {
    #expect(GatewayMetrics.kind(of: MQTTConnectionError.tlsHandshakeFailed(host: "h", port: 1, underlying: "x")) == "tlsHandshakeFailed")
    #expect(GatewayMetrics.kind(of: CocoaError(.fileNoSuchFile)) == "CocoaError")
}

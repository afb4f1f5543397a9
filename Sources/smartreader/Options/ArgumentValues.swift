import ArgumentParser
import DeviceIdentity
import Logging
import MQTT
import Spool

// The libraries' values as option values: each is spelled on the command line by its raw value.
extension Logger.Level: @retroactive ExpressibleByArgument {}
extension FullPolicy: ExpressibleByArgument {}
extension DeviceKeyType: ExpressibleByArgument {}
extension CertificateRole: ExpressibleByArgument {}

/// `--mqtt-version`: the protocol versions as an operator writes them.
enum MQTTVersionArgument: String, ExpressibleByArgument, CaseIterable {
    case v5 = "5"
    case v3 = "3.1.1"

    var version: MQTTProtocolVersion { self == .v5 ? .v5 : .v3_1_1 }
}

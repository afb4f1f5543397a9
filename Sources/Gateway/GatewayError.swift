import DeviceIdentity
import SpringCore

/// Why the device cannot start or run as configured; each says what to change.
public enum GatewayError: Error, Sendable, CustomStringConvertible {
    case stateDirectory(path: String, reason: String)
    case noBroker(configFile: String)
    case badBrokerAddress(String)
    case plaintextRefused
    case verificationDisabled
    case clientIDMismatch(configured: String, commonName: String, certificate: String)
    case missingSlot(kind: String, slot: UInt8, path: String)
    case configuration(file: String, ConfigurationError)
    case badConfigurationFile(ConfigDataError)
    case badRegister(RegisterAddress, reason: String)
    case tls(String)
    case certificateNotUsable(path: String, CertificateValidity)
    case keyReadableByOthers(path: String)
    case installation(String)

    public var description: String {
        switch self {
        case .stateDirectory(let path, let reason):
            "device state directory \(path): \(reason)"
        case .noBroker(let configFile):
            "no broker configured: register 0286 is empty in \(configFile); set \"86.s\" there or pass --broker HOST:PORT"
        case .badBrokerAddress(let text):
            "\"\(text)\" is not HOST, HOST:PORT or [IPv6]:PORT with a port from 1 to 65535"
        case .plaintextRefused:
            "register 0288 turns TLS off; this emulator never sends MQTT in plain text unless you pass --insecure "
                + "(enable TLS with `smartreader pki provision`, or set 0288 to 370E8D4D8F)"
        case .verificationDisabled:
            "register 0288 asks to accept any broker certificate; refusing unless --insecure is given "
                + "(set bits 5-4 of byte 0 to 11, full chain)"
        case .clientIDMismatch(let configured, let commonName, let certificate):
            "client ID mismatch: register 028D says \"\(configured)\" but the device certificate \(certificate) has CN \"\(commonName)\"; "
                + "the broker identifies the device by its CN, so set 028D to \"\(commonName)\" or leave it empty"
        case .missingSlot(let kind, let slot, let path):
            "register 0288 names slot \(Hex.encode([slot])) for the \(kind), but \(path) does not exist; provision it with `smartreader pki provision`"
        case .configuration(let file, let error):
            "\(file): \(error)"
        case .badConfigurationFile(let error):
            error.description
        case .badRegister(let address, let reason):
            "register \(address) \(reason)"
        case .tls(let reason):
            "TLS set-up failed: \(reason)"
        case .keyReadableByOthers(let path):
            "the private key \(path) is readable by other users, so anyone on this gateway could impersonate the device; "
                + "run `chmod 600 \(path)` (or pass --allow-readable-key to run anyway, warned)"
        case .installation(let reason):
            "installation failed: \(reason); run as root for the system paths, or pick others with --prefix, --unit-directory and --config-directory"
        case .certificateNotUsable(let path, .notYetValid(let from)):
            "the device certificate \(path) is not valid before \(from) (UTC); check the gateway's clock, or enrol again"
        case .certificateNotUsable(let path, let validity):
            "the device certificate \(path) is not usable (\(validity)); the broker would refuse it: make a new key and request "
                + "with `smartreader pki csr`, have it signed, and install it with `smartreader pki install`"
        }
    }
}

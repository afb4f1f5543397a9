/// A configuration whose registers parse but do not make sense together, or hold values the
/// emulator cannot act on; each names the register and what to write instead.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case badRegister(RegisterAddress, reason: String)
    case badSection(String, reason: String)

    public var description: String {
        switch self {
        case .badRegister(let address, let reason): "register \(address) \(reason)"
        case .badSection(let name, let reason): "section \"\(name)\" \(reason)"
        }
    }
}

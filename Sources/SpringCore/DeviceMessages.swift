/// Factory constants of a product, as its profile states them.
public struct ProductConstants: Sendable, Equatable, Codable {
    public var vendorName: String
    public var productName: String
    public var productVariant: String
    public var hardware: String
    public var firmware: String
    public var version: String
    public var revision: String
    public var interfaces: String
    public var open: Bool

    enum CodingKeys: String, CodingKey {
        case vendorName = "VendorName", productName = "ProductName", productVariant = "ProductVariant"
        case hardware = "Hardware", firmware = "Firmware", version = "Version", revision = "Revision"
        case interfaces = "Interfaces", open = "Open"
    }
}

/// META, published each time the device connects.
public struct MetaMessage: Sendable {
    public var constants: ProductConstants
    public var serialNumber: String
    public var configID: String
    public var inventory: String
    public var location: String
    public var physicalAddress: String
    public var ipAddress: String
    public var outputFormat: OutputFormat

    public init(
        constants: ProductConstants, serialNumber: String, configID: String, inventory: String, location: String,
        physicalAddress: String, ipAddress: String, outputFormat: OutputFormat
    ) {
        self.constants = constants
        self.serialNumber = serialNumber
        self.configID = configID
        self.inventory = inventory
        self.location = location
        self.physicalAddress = physicalAddress
        self.ipAddress = ipAddress
        self.outputFormat = outputFormat
    }

    /// The emulator's UniqueId: vendor-style, derived from the serial so it is stable.
    public var uniqueID: String { "E518" + serialNumber }

    public var json: String {
        var object = CompactJSONObject()
        object.add("VendorName", constants.vendorName)
        object.add("ProductName", constants.productName)
        object.add("ProductVariant", constants.productVariant)
        object.add("SerialNumber", serialNumber)
        object.add("Version", constants.version)
        object.add("Firmware", constants.firmware)
        object.add("Revision", constants.revision)
        object.add("Hardware", constants.hardware)
        object.add("UniqueId", uniqueID)
        object.add("ConfigId", configID)
        object.add("Open", constants.open)
        object.add("Inventory", inventory)
        object.add("Location", location)
        object.add("PhysAddress", physicalAddress)
        object.add("IpAddress", ipAddress)
        object.add("Protocol", outputFormat.protocolName)
        object.add("Interfaces", constants.interfaces)
        return object.text
    }
}

/// STATUS: the device state, published on connect, periodically, as `offline` before a clean
/// disconnect, and (without Uptime) as the Last Will.
public struct StatusMessage: Sendable {
    public enum State: String, Sendable {
        case ready = "online,ready"
        case busy = "online,busy"
        case offline = "offline"
        case dead = "offline,dead"
    }

    public var state: State
    public var uptime: Uptime?

    public init(state: State, uptime: Uptime?) {
        self.state = state
        self.uptime = uptime
    }

    public static let lastWill = StatusMessage(state: .dead, uptime: nil)

    public var json: String {
        var object = CompactJSONObject()
        object.add("State", state.rawValue)
        object.addIfPresent("Uptime", uptime?.description)
        return object.text
    }
}

/// READER EVENT, one per tag seen.
public struct ReaderEventMessage: Sendable, Equatable {
    public var interface: String
    public var protocolName: String
    public var template: Int
    public var rssi: Int?
    public var tagID: String
    public var move: String?
    public var tagData: String?
    public var tagDetails: String?
    public var uptime: Uptime

    public init(
        interface: String, protocolName: String, template: Int, rssi: Int?, tagID: String, move: String?,
        tagData: String?, tagDetails: String?, uptime: Uptime
    ) {
        self.interface = interface
        self.protocolName = protocolName
        self.template = template
        self.rssi = rssi
        self.tagID = tagID
        self.move = move
        self.tagData = tagData
        self.tagDetails = tagDetails
        self.uptime = uptime
    }

    public var json: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// Field order follows the reference's example; empty optional fields are left out, as the
    /// vendor's example leaves out Move and TagDetails.
    public var jsonBytes: [UInt8] {
        var object = CompactJSONObject()
        object.add("Interface", interface)
        object.add("Protocol", protocolName)
        object.add("Template", template)
        if let rssi { object.add("RSSI", rssi) }
        object.add("TagId", tagID)
        object.addIfPresent("Move", move)
        object.addIfPresent("TagData", tagData)
        object.addIfPresent("TagDetails", tagDetails)
        object.add("Uptime", uptime.description)
        return object.bytes
    }
}

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
    /// The emulator's extension, sent only when asked for: a real SpringPark has no spool.
    public var spool: SpoolStatusField?

    public init(state: State, uptime: Uptime?, spool: SpoolStatusField? = nil) {
        self.state = state
        self.uptime = uptime
        self.spool = spool
    }

    public static let lastWill = StatusMessage(state: .dead, uptime: nil)

    public var json: String {
        var object = CompactJSONObject()
        object.add("State", state.rawValue)
        object.addIfPresent("Uptime", uptime?.description)
        if let spool { object.add("Spool", spool.json) }
        return object.text
    }
}

/// STATUS's `Spool` field: `{"Depth":12,"Dropped":0,"Expired":0,"OldestAge":3.2}`, the events
/// waiting for the broker, those let go by the spool's limits (since the spool was created),
/// and how long the oldest has waited in seconds (absent when none waits).
public struct SpoolStatusField: Sendable, Equatable {
    public var depth: Int
    public var dropped: Int
    public var expired: Int
    public var oldestAge: Double?

    public init(depth: Int, dropped: Int, expired: Int, oldestAge: Double?) {
        self.depth = depth
        self.dropped = dropped
        self.expired = expired
        self.oldestAge = oldestAge
    }

    var json: CompactJSONObject {
        var object = CompactJSONObject()
        object.add("Depth", depth)
        object.add("Dropped", dropped)
        object.add("Expired", expired)
        if let oldestAge { object.add("OldestAge", (oldestAge * 10).rounded() / 10) }
        return object
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
    /// The emulator's extension, sent only when asked for: the spool's id of this event, the
    /// same as the MQTT 5 user property `event-id`, for consumers on MQTT 3.1.1.
    public var eventID: UInt64?

    public init(
        interface: String, protocolName: String, template: Int, rssi: Int?, tagID: String, move: String?,
        tagData: String?, tagDetails: String?, uptime: Uptime, eventID: UInt64? = nil
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
        self.eventID = eventID
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
        if let eventID { object.add("EventId", Int(eventID)) }
        return object.bytes
    }
}

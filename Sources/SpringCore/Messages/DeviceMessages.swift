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

    enum CodingKeys: String, CodingKey {
        case vendorName = "VendorName", productName = "ProductName", productVariant = "ProductVariant"
        case hardware = "Hardware", firmware = "Firmware", version = "Version", revision = "Revision"
        case interfaces = "Interfaces"
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
    /// `Open`: "true if all the security settings in the configuration are open" (the META page).
    public var open: Bool

    public init(
        constants: ProductConstants, serialNumber: String, configID: String, inventory: String, location: String,
        physicalAddress: String, ipAddress: String, outputFormat: OutputFormat, open: Bool
    ) {
        self.constants = constants
        self.serialNumber = serialNumber
        self.configID = configID
        self.inventory = inventory
        self.location = location
        self.physicalAddress = physicalAddress
        self.ipAddress = ipAddress
        self.outputFormat = outputFormat
        self.open = open
    }

    /// Whether every security setting the emulator models is open: no TLS (0288 byte 0 bit 0)
    /// and no MQTT login or password (028B/028C). The vendor names no list of "security
    /// settings"; these are the ones of an MQTT Smart Reader's configuration.
    public static func isOpen(_ configuration: DeviceConfiguration) -> Bool {
        !configuration.tls.enabled && configuration.credentials.login == nil && configuration.credentials.password == nil
    }

    /// `Revision`, "complete version of the firmware" and always sent (the META page's example:
    /// Version "1.23", Revision "1.23-11-g30998598"): a profile's revision that does not already
    /// start with the version is the suffix after it.
    public var revision: String {
        let (version, suffix) = (constants.version, constants.revision)
        if suffix.isEmpty { return version }
        return suffix.hasPrefix(version) ? suffix : version + "-" + suffix
    }

    /// UniqueId, a GUID ("signature of the hardware" in SpringCard Companion's DEVICE object):
    /// the emulator's is stable, made of the part number's digits and the serial number, with
    /// RFC 9562's version 8 (vendor-specific) and variant bits: `00019217-0000-8000-8000-0000DA1275B0`.
    public var uniqueID: String {
        let part = String(constants.hardware.filter(\.isNumber).suffix(8))
        let serial = String(serialNumber.suffix(12))
        return String(repeating: "0", count: 8 - part.count) + part + "-0000-8000-8000-" + String(repeating: "0", count: 12 - serial.count)
            + serial
    }

    /// ConfigId as register 0200 holds it: a GUID of 16 bytes, written 8-4-4-4-12; any other
    /// value (a label a CONFIG-DATA file wrote as text) as its text.
    public static func configID(from bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return String(decoding: bytes, as: UTF8.self) }
        let hex = Hex.encode(bytes)
        let groups = [8, 4, 4, 4, 12]
        var parts: [String] = []
        var start = hex.startIndex
        for length in groups {
            let end = hex.index(start, offsetBy: length)
            parts.append(String(hex[start..<end]))
            start = end
        }
        return parts.joined(separator: "-")
    }

    public var json: String {
        var object = CompactJSONObject()
        object.add("VendorName", constants.vendorName)
        object.add("ProductName", constants.productName)
        // Optional fields (the vendor's META page and Companion's DEVICE object: "option", or
        // "register set in NVM") are left out when empty.
        func addOptional(_ name: String, _ value: String) { if !value.isEmpty { object.add(name, value) } }
        addOptional("ProductVariant", constants.productVariant)
        object.add("SerialNumber", serialNumber)
        object.add("Version", constants.version)
        object.add("Firmware", constants.firmware)
        object.add("Revision", revision)
        object.add("Hardware", constants.hardware)
        object.add("UniqueId", uniqueID)
        addOptional("ConfigId", configID)
        object.add("Open", open)
        addOptional("Inventory", inventory)
        addOptional("Location", location)
        addOptional("PhysAddress", physicalAddress)
        addOptional("IpAddress", ipAddress)
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
/// and how long the oldest has waited in seconds (absent when none waits). Once the broker has
/// refused events, `"Refused":3,"Discarded":1` follow: those held for the operator, and those
/// the operator let go (since the spool was created).
public struct SpoolStatusField: Sendable, Equatable {
    public var depth: Int
    public var dropped: Int
    public var expired: Int
    public var oldestAge: Double?
    public var refused: Int
    public var discarded: Int

    public init(depth: Int, dropped: Int, expired: Int, oldestAge: Double?, refused: Int = 0, discarded: Int = 0) {
        self.depth = depth
        self.dropped = dropped
        self.expired = expired
        self.oldestAge = oldestAge
        self.refused = refused
        self.discarded = discarded
    }

    var json: CompactJSONObject {
        var object = CompactJSONObject()
        object.add("Depth", depth)
        object.add("Dropped", dropped)
        object.add("Expired", expired)
        if let oldestAge { object.add("OldestAge", (oldestAge * 10).rounded() / 10) }
        if refused > 0 || discarded > 0 {
            object.add("Refused", refused)
            object.add("Discarded", discarded)
        }
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
        return object.finish()
    }
}

import SpringCore
import TagReaders

/// Turns a tag event into what the device publishes on `rdr/evt`: READER EVENT JSON or a
/// `$SCRDR` line (register 02A0), with the TagId written by the first enabled template serving
/// the tag's protocol (03t0), or as the reader reported it with `Template` 0 when none does.
public struct ReaderEventFormatter: Sendable {
    public let interface: String
    public let outputFormat: OutputFormat
    public let templates: [ActiveTemplate]

    public init(interface: String, outputFormat: OutputFormat = .json, templates: [ActiveTemplate] = []) {
        self.interface = interface
        self.outputFormat = outputFormat
        self.templates = templates
    }

    public init(settings: DeviceSettings) {
        self.init(
            interface: settings.factory.constants.interfaces, outputFormat: settings.outputFormat, templates: settings.device.templates)
    }

    /// `includesMove` false: a "tag read event only" report (register 02A0 byte 0 bit 4 clear), sent without `Move`.
    public func message(for event: TagEvent, uptime: Uptime, includesMove: Bool = true) -> ReaderEventMessage {
        var tagID = event.tagID
        let template = templates.serving(protocolName: event.protocolName)
        if let template, let bytes = Hex.decode(event.tagID) { tagID = template.render(tagID: bytes, protocolName: event.protocolName) }
        return ReaderEventMessage(
            interface: event.interface ?? interface, protocolName: event.protocolName, template: template?.number ?? 0,
            rssi: event.rssi, tagID: tagID, move: includesMove ? event.move.rawValue : nil, tagData: event.tagData, tagDetails: event.tagDetails,
            uptime: uptime)
    }

    /// `eventID` goes into READER EVENT JSON as `EventId`; a `$SCRDR` line has no field for it.
    public func payload(for event: TagEvent, uptime: Uptime, includesMove: Bool = true, eventID: UInt64? = nil) -> [UInt8] {
        var message = message(for: event, uptime: uptime, includesMove: includesMove)
        message.eventID = eventID
        switch outputFormat {
        case .json: return message.jsonBytes
        case .scrdr: return Array(SCRDRMessage(message).text.utf8)
        }
    }
}

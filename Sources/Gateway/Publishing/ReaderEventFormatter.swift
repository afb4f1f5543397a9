import Logging
import SpringCore
import Synchronization
import TagReaders

/// Turns a tag event into what the device publishes on `rdr/evt`: READER EVENT JSON or a
/// `$SCRDR` line (register 02A0), with the TagId written by the first enabled template serving
/// the tag's protocol (03t0), or as the reader reported it with `Template` 0 when none does.
public struct ReaderEventFormatter: Sendable {
    public let interface: String
    public let outputFormat: OutputFormat
    public let templates: [ActiveTemplate]
    private let emptyTagIDWarning = EmptyTagIDWarning()

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
        var template = templates.serving(protocolName: event.protocolName)
        if let serving = template, let bytes = Hex.decode(event.tagID) {
            if let rendered = serving.render(tagID: bytes, protocolName: event.protocolName) {
                tagID = rendered
            } else {
                emptyTagIDWarning.warnOnce(template: serving)
                template = nil
            }
        }
        return ReaderEventMessage(
            interface: event.interface ?? interface, protocolName: event.protocolName, template: template?.number ?? 0,
            rssi: event.rssi, tagID: tagID, move: includesMove ? event.move.rawValue : nil, tagData: event.tagData,
            tagDetails: event.tagDetails,
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

/// A template whose 03t3 shift leaves nothing of a tag's ID (a variable-length format, which
/// validation cannot judge) would send an empty TagId, which the vendor's READER EVENT never has:
/// the ID goes out as read instead, and the log says why, once per formatter rather than per tag.
final class EmptyTagIDWarning: Sendable {
    private let warned = Atomic(false)
    private let logger = Logger(label: "Gateway")

    func warnOnce(template: ActiveTemplate) {
        guard !warned.exchange(true, ordering: .relaxed) else { return }
        let shift = template.shift
        logger.warning(
            """
            template \(template.number)'s 03t3 suppresses \(shift.bytes) bytes and \(shift.bits) bits, which leaves nothing of a \
            tag's ID: sending such IDs as read, with Template 0; write a smaller 03t3
            """)
    }
}

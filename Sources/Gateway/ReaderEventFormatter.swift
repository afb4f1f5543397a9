import SpringCore
import TagReaders

/// Turns a tag event into the READER EVENT the device publishes. Templates are off in this
/// version (`Template` 0): the TagId is sent as the reader reported it.
public struct ReaderEventFormatter: Sendable {
    public let interface: String

    public init(interface: String) { self.interface = interface }

    public func message(for event: TagEvent, uptime: Uptime) -> ReaderEventMessage {
        ReaderEventMessage(
            interface: event.interface ?? interface, protocolName: event.protocolName, template: 0, rssi: event.rssi,
            tagID: event.tagID, move: event.move.rawValue, tagData: event.tagData, tagDetails: event.tagDetails,
            uptime: uptime)
    }
}

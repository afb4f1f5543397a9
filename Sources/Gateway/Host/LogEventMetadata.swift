import Logging

extension Logger.Metadata {
    /// What one log event carries, as both line handlers write it: the handler's metadata, then
    /// the metadata provider's, then the event's own, later ones winning.
    func merged(provider: Logger.MetadataProvider?, event: Logger.Metadata?) -> Logger.Metadata {
        var merged = self
        if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
        if let event { merged.merge(event) { _, new in new } }
        return merged
    }
}

/// Turns "which tags are in the field now" into Insert and Remove events: a tag held in the
/// field gives one Insert, and one Remove once it has been missing from `absenceThreshold`
/// consecutive polls (a single missed poll is noise, not a removal).
public struct PresenceTracker: Sendable {
    public let absenceThreshold: Int
    private var present: [String: (tag: TagEvent, missed: Int)] = [:]

    public init(absenceThreshold: Int = 2) { self.absenceThreshold = absenceThreshold }

    /// `seen`: the tags found by one poll, as Insert events. Returns the events to report.
    public mutating func update(seen: [TagEvent]) -> [TagEvent] {
        var events: [TagEvent] = []
        let seenIDs = Set(seen.map(\.tagID))
        for (id, entry) in present.sorted(by: { $0.key < $1.key }) where !seenIDs.contains(id) {
            if entry.missed + 1 >= absenceThreshold {
                present[id] = nil
                var removal = entry.tag
                removal.move = .remove
                removal.tagData = ""
                events.append(removal)
            } else {
                present[id]?.missed += 1
            }
        }
        for tag in seen {
            if present[tag.tagID] == nil {
                var insert = tag
                insert.removalFollows = true
                events.append(insert)
            }
            present[tag.tagID] = (tag, 0)
        }
        return events
    }

    /// Removes for every tag still present, for a reader that is going away.
    public mutating func removeAll() -> [TagEvent] {
        defer { present.removeAll() }
        return present.values.sorted { $0.tag.tagID < $1.tag.tagID }.map {
            var removal = $0.tag
            removal.move = .remove
            removal.tagData = ""
            return removal
        }
    }
}

/// One thing a reader saw, whatever the reader: the common currency of every tag source.
public struct TagEvent: Sendable, Equatable {
    public enum Move: String, Sendable, Equatable {
        case insert = "Insert"
        case remove = "Remove"
        case insertRemove = "Insert,Remove"
    }

    /// Upper-case hex, most significant byte first, as the reader reported it.
    public var tagID: String
    public var protocolName: String
    /// nil: the profile's interface (e.g. 13.56).
    public var interface: String?
    public var rssi: Int?
    public var move: Move
    public var tagData: String
    public var tagDetails: String
    /// Set on an Insert by a reader that follows the tag's presence and will report its Remove
    /// (`PresenceTracker`); an Insert without it is a single reading, the tag's stay unknown.
    public var removalFollows = false
    /// When the tag was read, on the source's own time line: for a replay, its start plus the
    /// entry's trace offset whatever the speed, so the read delays (02A1) judge a fast replay as
    /// they would the original; nil for a live reader, whose reading is the moment it arrives.
    public var readAt: ContinuousClock.Instant?

    public init(
        tagID: String, protocolName: String, interface: String? = nil, rssi: Int? = nil, move: Move,
        tagData: String = "", tagDetails: String = ""
    ) {
        self.tagID = tagID
        self.protocolName = protocolName
        self.interface = interface
        self.rssi = rssi
        self.move = move
        self.tagData = tagData
        self.tagDetails = tagDetails
    }
}

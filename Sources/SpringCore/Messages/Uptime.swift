/// The device's `Uptime` field, `CCC:SSS.MMM`: boot counter, then seconds and milliseconds since
/// that boot (the reference's example `699:16.850`).
public struct Uptime: Sendable, Equatable, CustomStringConvertible {
    public var bootCount: Int
    public var milliseconds: Int64

    public init(bootCount: Int, milliseconds: Int64) {
        self.bootCount = bootCount
        self.milliseconds = milliseconds
    }

    public init(bootCount: Int, since boot: ContinuousClock.Instant, now: ContinuousClock.Instant = .now) {
        let elapsed = now - boot
        let (seconds, attoseconds) = elapsed.components
        self.init(bootCount: bootCount, milliseconds: seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    public var description: String {
        let fraction = String(milliseconds % 1000)
        return "\(bootCount):\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

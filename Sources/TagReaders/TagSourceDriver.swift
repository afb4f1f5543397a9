import Foundation

/// A live reader's protocol, run on a thread of its own by `LiveTagSource`: it opens the
/// device, emits what it sees until `running` turns false, and throws when the device fails
/// (`ReaderError.gone` when it disappears).
public protocol TagSourceDriver: Sendable {
    var path: String { get }
    func run(emit: (TagEvent) -> Void, running: () -> Bool, log: (String) -> Void) throws(ReaderError)
}

extension Thread {
    /// Sleeps the calling thread; live readers' threads are their own, so blocking is intended.
    static func sleepBlocking(_ duration: Duration) {
        Thread.sleep(forTimeInterval: duration / .seconds(1))
    }
}

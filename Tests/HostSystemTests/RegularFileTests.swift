import Foundation
import HostSystem
import TestSupport
import Testing

@Test("a FIFO is refused at once, not waited on for a writer")
func fifoRefused() throws {
    let path = temporaryDirectory() + "/pipe.json"
    #expect(mkfifo(path, 0o600) == 0)
    let started = ContinuousClock.now
    #expect(throws: FileError.notRegular(path: path, kind: "a FIFO")) { try RegularFile.read(path, maximumSize: 1024) }
    #expect(ContinuousClock.now - started < .seconds(5))
}

@Test("a directory is refused, named as one")
func directoryRefused() throws {
    let directory = temporaryDirectory()
    #expect(throws: FileError.notRegular(path: directory, kind: "a directory")) { try RegularFile.read(directory, maximumSize: 10) }
}

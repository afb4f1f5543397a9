import Foundation
import HostSystem
import TestSupport
import Testing

@Test("a source file's checkout is the nearest directory above it with Package.swift, however deep the file sits")
func checkoutFromNestedFile() throws {
    let root = temporaryDirectory()
    try FileManager.default.createDirectory(atPath: root + "/Sources/Module/Concern", withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: root + "/Package.swift", contents: Data()))
    #expect(SourceCheckout.root(of: root + "/Sources/Module/Concern/File.swift") == root)
    #expect(SourceCheckout.root(of: root + "/Sources/Module/File.swift") == root)
    #expect(SourceCheckout.root(of: temporaryDirectory() + "/Elsewhere/File.swift") == nil)
}

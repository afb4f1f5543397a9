import Testing

@testable import Gateway

@Test("--version of a packaged build: its version, commit, the MQTT versions spoken and the TLS library's version")
func stampedBuildVersion() {
    let build = BuildVersion(stampedVersion: "0.0.0-dev+ff98b7d", stampedCommit: "ff98b7d", stampedNIOSSLVersion: "2.37.6")
    #expect(
        build.description == """
            smartreader 0.0.0-dev+ff98b7d
            commit      ff98b7d
            MQTT        3.1.1, 5.0
            TLS         BoringSSL, built into swift-nio-ssl 2.37.6
            """)
    #expect(
        build.logLine == "smartreader 0.0.0-dev+ff98b7d (commit ff98b7d; MQTT 3.1.1, 5.0; TLS BoringSSL, built into swift-nio-ssl 2.37.6)")
}

@Test("a plain `swift build` says 0.0.0-dev and that nothing stamped its commit, rather than guessing one")
func unstampedBuildVersion() {
    let build = BuildVersion(stampedVersion: "", stampedCommit: "", stampedNIOSSLVersion: "")
    #expect(build.version == "0.0.0-dev")
    #expect(build.commit == nil && build.nioSSLVersion == nil)
    #expect(build.description.hasPrefix("smartreader 0.0.0-dev\ncommit      unknown (not stamped"), "\(build.description)")
    #expect(build.logLine.hasPrefix("smartreader 0.0.0-dev (commit unknown; MQTT 3.1.1, 5.0; TLS BoringSSL"), "\(build.logLine)")
}

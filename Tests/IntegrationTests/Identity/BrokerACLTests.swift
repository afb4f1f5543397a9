import Foundation
import TestSupport
import Testing

/// `pki mosquitto --prefix` as an integrator types it: the ACL must name the topics a device
/// forms from the same 028E value, or the broker refuses every publish (a review found
/// `springcard/springcore/` written as `springcard/springcore//%u/#`).
@Test(
    "pki mosquitto: the ACL's device pattern is the device's own topics, a trailing slash or an empty prefix included",
    arguments: [
        ("springcard/springcore/", "springcard/springcore/%u/#"), ("springcard/springcore", "springcard/springcore/%u/#"),
        ("", "%u/#"),
    ])
func aclPatternMatchesTheDeviceTopics(prefix: String, pattern: String) async throws {
    let directory = temporaryDirectory("\(#function)-\(pattern.count)")
    let pki = directory + "/pki"
    #expect(try await runTool(binary, ["pki", "init", pki]).status == 0)
    let written = try await runTool(binary, ["pki", "mosquitto", pki, "--prefix", prefix, "--out", directory + "/mosquitto.conf"])
    #expect(written.status == 0, "\(written.output)")
    let acl = try String(contentsOfFile: directory + "/mosquitto.conf.acl", encoding: .utf8)
    #expect(acl.contains("pattern readwrite \(pattern)\n"), "\(acl)")
}

import Foundation
import Gateway
import NIOPosix
import SpringCore
import TagReaders
import TestSupport
import Testing

@Test("a device whose key is RSA 2048 (made and signed by openssl under our Client CA) publishes over mutual TLS")
func rsaClientKey() async throws {
    try await BrokerFixture.with { fixture in
        let state = try fixture.provision(serial: "AB12CD34")
        let pki = fixture.pki.directory
        let key = state.keyPath(slot: 0x0D)
        let csr = (fixture.directory as NSString).appendingPathComponent("rsa.csr")
        let extensions = (fixture.directory as NSString).appendingPathComponent("client.ext")
        try "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        var result = try await runTool(
            "openssl", ["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-subj", "/CN=AB12CD34", "-out", csr])
        #expect(result.status == 0, "\(result.output)")
        result = try await runTool(
            "openssl",
            [
                "x509", "-req", "-in", csr, "-CA", pki + "/client-ca.crt", "-CAkey", pki + "/client-ca.key", "-CAcreateserial",
                "-days", "30", "-sha256", "-extfile", extensions, "-out", state.certificatePath(slot: 0x0D),
            ])
        #expect(result.status == 0, "\(result.output)")
        let observer = try await fixture.watch()
        let trace = try Trace.parse(Data(#"{"t":0,"TagId":"0102030405060708","Move":"Insert"}"#.utf8), file: "rsa.jsonl")
        _ = try await ReplayJob.run(
            trace: trace, speed: nil, state: state, options: DeviceRunOptions(), eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            logger: quietLogger)
        try await observer.waitFor("the RSA device's event") {
            $0.payloads(onTopicEndingWith: "AB12CD34/rdr/evt").contains { $0.contains(#""TagId":"0102030405060708""#) }
        }
    }
}

import Foundation
import SwiftASN1
import X509

/// What the broker's certificate chain, as it sent it, says against the CA the device trusts:
/// verified, or why not, told apart the way an operator needs: the broker did not send its
/// intermediate (the commonest fault), or it is signed by another CA altogether. Then whether
/// the name the device connects to is in the certificate.
public struct BrokerChainDiagnosis: Sendable {
    public var sent: [Certificate]
    public var trusted: [Certificate]
    public var host: String

    public init(sent: [Certificate], trusted: [Certificate], host: String) {
        self.sent = sent
        self.trusted = trusted
        self.host = host
    }

    public func run(at now: Date = Date()) -> [DoctorFinding] {
        guard let leaf = sent.first else { return [DoctorFinding("broker chain", .failed, "the broker sent no certificate")] }
        return [chain(leaf, at: now), name(leaf)]
    }

    private func chain(_ leaf: Certificate, at now: Date) -> DoctorFinding {
        let check = "broker chain"
        guard CertificateValidity(leaf, at: now).isUsable else {
            return DoctorFinding(
                check, .failed, "the broker's certificate is \(CertificateValidity(leaf, at: now))", fix: "renew the broker's certificate")
        }
        var current = leaf
        var path = [leaf.subject.description]
        while true {
            if let anchor = trusted.first(where: { $0.isIssuer(of: current) }) {
                path.append(anchor.subject.description)
                return DoctorFinding(check, .passed, "verified: " + path.joined(separator: " <- "))
            }
            guard let next = sent.dropFirst().first(where: { $0.isIssuer(of: current) }), next.subject != current.subject else { break }
            current = next
            path.append(next.subject.description)
        }
        let trustedNames = trusted.map(\.subject.description).joined(separator: "; ")
        if sent.count == 1 {
            return DoctorFinding(
                check, .failed,
                "the broker sent its certificate alone, issued by \(current.issuer), which the device's CA (\(trustedNames)) did not sign directly",
                fix:
                    "the broker must send its full chain: put its intermediate CA after its certificate in its certfile (the commonest fault); if it has no intermediate, it is signed by another CA than the device trusts"
            )
        }
        return DoctorFinding(
            check, .failed, "the chain the broker sent ends at \(current.issuer), which is not the device's CA (\(trustedNames))",
            fix:
                "the broker is signed by another CA: put that CA in the broker CA slot (register 0288), or give the broker a certificate from this one"
        )
    }

    private func name(_ leaf: Certificate) -> DoctorFinding {
        let check = "broker name"
        let names = (try? leaf.extensions.subjectAlternativeNames) ?? nil
        let listed: [String] =
            names?.compactMap { name in
                switch name {
                case .dnsName(let dns): dns
                case .ipAddress(let bytes): ipAddressText(Array(bytes.bytes))
                default: nil
                }
            } ?? []
        // An IP address is compared as bytes, so "::1" and "0:0::1" are one address.
        let target = ipAddressBytes(host).flatMap(ipAddressText) ?? host.lowercased()
        if listed.contains(where: { $0.lowercased() == target || Self.wildcard($0.lowercased(), matches: target) }) {
            return DoctorFinding(check, .passed, "\(host) is in the certificate's names (\(listed.joined(separator: ", ")))")
        }
        return DoctorFinding(
            check, .failed, "\(host) is not among the certificate's names (\(listed.isEmpty ? "none" : listed.joined(separator: ", ")))",
            fix:
                "connect to one of those names (register 0286), or reissue the broker's certificate with \(host) as a subject alternative name"
        )
    }

    private static func wildcard(_ pattern: String, matches host: String) -> Bool {
        guard pattern.hasPrefix("*.") else { return false }
        let suffix = pattern.dropFirst(1)
        return host.hasSuffix(suffix) && !host.dropLast(suffix.count).contains(".") && host.count > suffix.count
    }
}

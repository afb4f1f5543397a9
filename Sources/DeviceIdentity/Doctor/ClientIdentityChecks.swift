import Foundation
import HostSystem
import X509

/// The doctor's checks of the device's own side, from files alone: the certificate, its key,
/// its dates, the chain it sends, its CN against the client ID, the key file's mode.
public struct ClientIdentityChecks: Sendable {
    public var certificatePath: String
    public var keyPath: String
    /// Certificates sent after the leaf (register 0288's "send the client CA" bit), if any.
    public var sentAuthorityPath: String?
    /// Register 028D; empty means "the CN".
    public var configuredClientID: String

    public init(certificatePath: String, keyPath: String, sentAuthorityPath: String?, configuredClientID: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.sentAuthorityPath = sentAuthorityPath
        self.configuredClientID = configuredClientID
    }

    public func run(at now: Date = Date()) -> [DoctorFinding] {
        let file: CertificateFile
        do {
            file = try CertificateFile(path: certificatePath)
        } catch {
            return [DoctorFinding("client certificate", .failed, error.description, fix: "provision the device or install a certificate")]
        }
        var findings: [DoctorFinding] = []
        do {
            try file.verifyKey(at: keyPath)
            findings.append(DoctorFinding("key matches certificate", .passed, keyPath))
        } catch {
            findings.append(
                DoctorFinding("key matches certificate", .failed, error.description, fix: "restore the matching key, or enrol again"))
        }
        findings.append(validity(file.leaf, at: now))
        findings.append(sentChain(file))
        findings.append(clientID(file))
        findings.append(
            ProtectedFile.othersCanRead(keyPath)
                ? DoctorFinding("key file permissions", .failed, "\(keyPath) is readable by other users", fix: "chmod 600 \(keyPath)")
                : DoctorFinding("key file permissions", .passed, "\(keyPath) is readable by its owner only"))
        return findings
    }

    private func validity(_ leaf: Certificate, at now: Date) -> DoctorFinding {
        let validity = CertificateValidity(leaf, at: now)
        switch validity {
        case .valid: return DoctorFinding("certificate dates", .passed, "\(validity)")
        case .expiresSoon:
            return DoctorFinding(
                "certificate dates", .warning, "\(validity)", fix: "enrol a new certificate (`smartreader pki csr` or `enroll`)")
        case .expired:
            return DoctorFinding("certificate dates", .failed, "\(validity)", fix: "enrol a new certificate; the broker refuses this one")
        case .notYetValid: return DoctorFinding("certificate dates", .failed, "\(validity)", fix: "check the gateway's clock (NTP)")
        }
    }

    /// The leaf's issuer must be in what is sent, or the broker must hold it: a device CA under
    /// a root needs the CA sent along.
    private func sentChain(_ file: CertificateFile) -> DoctorFinding {
        let sent = file.chain + ((sentAuthorityPath.flatMap { try? CertificateFile(path: $0) })?.chain ?? [])
        var current = file.leaf
        var links = 0
        while current.issuer != current.subject {
            guard
                let issuer = sent.first(where: {
                    $0.isIssuer(of: current)
                })
            else { break }
            current = issuer
            links += 1
        }
        if links == 0 {
            return DoctorFinding(
                "chain sent to the broker", .warning,
                "only the certificate is sent; the broker must hold its issuer (\(file.leaf.issuer)) itself",
                fix: "send the client CA (register 0288, byte 0 bit 6) or append it to \(certificatePath)")
        }
        return DoctorFinding("chain sent to the broker", .passed, "\(links + 1) certificates, up to \(current.subject)")
    }

    private func clientID(_ file: CertificateFile) -> DoctorFinding {
        guard let commonName = file.commonName, !commonName.isEmpty else {
            return DoctorFinding(
                "CN = client ID", .failed, "the certificate has no CN", fix: "issue a certificate whose CN is the device ID")
        }
        guard configuredClientID.isEmpty || configuredClientID == commonName else {
            return DoctorFinding(
                "CN = client ID", .failed, "register 028D says \"\(configuredClientID)\", the certificate's CN is \"\(commonName)\"",
                fix: "set 028D to \"\(commonName)\" or leave it empty")
        }
        return DoctorFinding("CN = client ID", .passed, commonName)
    }
}

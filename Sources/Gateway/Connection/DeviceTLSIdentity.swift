import DeviceIdentity
import Foundation
import HostSystem
import Logging
import NIOSSL
import SpringCore
import Synchronization

/// The TLS side of a device as register 0288 describes it: which slot holds the broker's CA,
/// which the client certificate and key. It also fixes the MQTT client ID, which must be the
/// client certificate's CN.
public struct DeviceTLSIdentity: Sendable {
    public let configuration: TLSConfiguration?
    public let clientID: String
    /// When the client certificate stops being valid; nil without client authentication.
    public let certificateNotAfter: Date?

    /// `options` says whether TLS may be off or unverified (`--insecure`) and whether a key other
    /// users can read is refused (the default) or only warned about.
    public init(settings: DeviceSettings, state: DeviceStateDirectory, options: DeviceRunOptions, logger: Logger) throws(GatewayError) {
        let insecure = options.insecure
        let tls = settings.tls
        guard tls.enabled else {
            guard insecure else { throw .plaintextRefused }
            logger.critical("INSECURE: TLS is off (register 0288); MQTT traffic, including tag IDs, travels in plain text")
            configuration = nil
            certificateNotAfter = nil
            clientID = settings.configuredClientID.isEmpty ? settings.factory.serialNumber : settings.configuredClientID
            return
        }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if tls.serverCheck == .acceptAny || insecure {
            guard insecure else { throw .verificationDisabled }
            logger.critical("INSECURE: the broker's certificate is not verified (--insecure); anyone on the path can impersonate it")
            configuration.certificateVerification = .none
        } else {
            let caPath = state.certificatePath(slot: tls.serverCASlot)
            configuration.trustRoots = .certificates(try Self.certificates(caPath, kind: "broker CA", slot: tls.serverCASlot, shared: true))
            configuration.certificateVerification = .fullVerification
        }

        var clientID = settings.configuredClientID.isEmpty ? settings.factory.serialNumber : settings.configuredClientID
        var certificateNotAfter: Date?
        if tls.clientAuthentication {
            let certificatePath = state.certificatePath(slot: tls.clientCertificateSlot)
            let keyPath = state.keyPath(slot: tls.clientKeySlot)
            var chain = try Self.certificates(certificatePath, kind: "client certificate", slot: tls.clientCertificateSlot)
            // A certificate file that carries its chain (as enrolment installs it) sends the CA already.
            if tls.sendClientCA && chain.count == 1 {
                let caSlot = tls.clientCASlot
                chain += try Self.certificates(
                    state.certificatePath(slot: caSlot), kind: "client CA certificate", slot: caSlot, shared: true)
            }
            let commonName: String
            let validity: CertificateValidity
            do {
                let file = try CertificateFile(path: certificatePath)
                commonName = try file.requireCommonName()
                try file.verifyKey(at: keyPath)
                validity = CertificateValidity(file.leaf)
                certificateNotAfter = file.leaf.notValidAfter
            } catch {
                throw .tls(error.description)
            }
            guard validity.isUsable else { throw .certificateNotUsable(path: certificatePath, validity) }
            if case .expiresSoon = validity {
                logger.warning("the device certificate \(certificatePath) \(validity); enrol a new one (`smartreader pki csr`) before then")
            }
            if !settings.configuredClientID.isEmpty && settings.configuredClientID != commonName {
                throw .clientIDMismatch(configured: settings.configuredClientID, commonName: commonName, certificate: certificatePath)
            }
            clientID = commonName
            if ProtectedFile.othersCanRead(keyPath) {
                guard options.allowReadableKey else { throw .keyReadableByOthers(path: keyPath) }
                logger.warning("the private key \(keyPath) is readable by other users (--allow-readable-key); run `chmod 600 \(keyPath)`")
            }
            configuration.certificateChain = chain.map { .certificate($0) }
            do {
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem))
            } catch {
                throw .tls("cannot load the client key \(keyPath): \(error)")
            }
        }
        self.configuration = configuration
        self.clientID = clientID
        self.certificateNotAfter = certificateNotAfter
    }

    /// CA certificates parsed so far, by file content: a fleet of a thousand devices shares one
    /// parsed copy of its CAs instead of holding a thousand (a few KiB each).
    private static let parsedAuthorities = Mutex<[Data: [NIOSSLCertificate]]>([:])

    private static func certificates(_ path: String, kind: String, slot: UInt8, shared: Bool = false) throws(GatewayError)
        -> [NIOSSLCertificate]
    {
        guard let content = FileManager.default.contents(atPath: path) else { throw .missingSlot(kind: kind, slot: slot, path: path) }
        if shared, let parsed = parsedAuthorities.withLock({ $0[content] }) { return parsed }
        let parsed: [NIOSSLCertificate]
        do {
            parsed = try NIOSSLCertificate.fromPEMBytes(Array(content))
        } catch {
            throw .tls("the \(kind) in \(path) is not a PEM certificate: \(error)")
        }
        if shared { parsedAuthorities.withLock { $0[content] = parsed } }
        return parsed
    }
}

import Foundation
import X509

/// Where a certificate stands in its validity period, and how soon to worry.
public enum CertificateValidity: Sendable, Equatable, CustomStringConvertible {
    case valid(until: Date)
    /// Within `CertificateValidity.warningPeriod` of the end: still usable, renew it now.
    case expiresSoon(on: Date, days: Int)
    case expired(on: Date)
    case notYetValid(from: Date)

    public static let warningPeriod: TimeInterval = 30 * 86_400

    public init(_ certificate: Certificate, at now: Date = Date()) {
        if now < certificate.notValidBefore {
            self = .notYetValid(from: certificate.notValidBefore)
        } else if now > certificate.notValidAfter {
            self = .expired(on: certificate.notValidAfter)
        } else if certificate.notValidAfter.timeIntervalSince(now) < Self.warningPeriod {
            self = .expiresSoon(on: certificate.notValidAfter, days: Int(certificate.notValidAfter.timeIntervalSince(now) / 86_400))
        } else {
            self = .valid(until: certificate.notValidAfter)
        }
    }

    public var description: String {
        switch self {
        case .valid(let until): "valid until \(until)"
        case .expiresSoon(let on, let days): "expires on \(on), in \(days) days"
        case .expired(let on): "expired on \(on)"
        case .notYetValid(let from): "not valid before \(from)"
        }
    }

    public var isUsable: Bool {
        switch self {
        case .valid, .expiresSoon: true
        case .expired, .notYetValid: false
        }
    }
}

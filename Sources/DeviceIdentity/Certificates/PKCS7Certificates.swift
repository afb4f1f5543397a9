import Foundation
import SwiftASN1
import X509

/// The "certs-only" PKCS#7 (CMS SignedData with no signers) that EST answers with: a
/// ContentInfo of type signedData whose `certificates` field holds the chain.
public enum PKCS7Certificates {
    static let signedData: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 2]
    static let data: ASN1ObjectIdentifier = [1, 2, 840, 113_549, 1, 7, 1]
    static let certificatesTag = ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)

    public enum Failure: Error, CustomStringConvertible {
        case notPKCS7(String)

        public var description: String {
            switch self {
            case .notPKCS7(let reason): "not a certs-only PKCS#7: \(reason)"
            }
        }
    }

    /// The certificates of a DER certs-only PKCS#7, in the order sent.
    public static func certificates(der: [UInt8]) throws(Failure) -> [Certificate] {
        do {
            let root = try DER.parse(der)
            guard case .constructed(let contentInfo) = root.content else { throw Failure.notPKCS7("not a SEQUENCE") }
            var fields = contentInfo.makeIterator()
            guard let type = fields.next(), try ASN1ObjectIdentifier(derEncoded: type) == signedData else {
                throw Failure.notPKCS7("the content type is not signedData")
            }
            guard let wrapper = fields.next(), case .constructed(let explicit) = wrapper.content,
                let body = explicit.first(where: { _ in true }), case .constructed(let signedFields) = body.content
            else { throw Failure.notPKCS7("no SignedData") }
            for field in signedFields where field.identifier == certificatesTag {
                guard case .constructed(let certificates) = field.content else { throw Failure.notPKCS7("certificates is not a SET") }
                return try certificates.map { try Certificate(derEncoded: $0) }
            }
            return []
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .notPKCS7("\(error)")
        }
    }

    /// A certs-only PKCS#7 holding `certificates`: what an EST server sends (tests' servers).
    public static func der(_ certificates: [Certificate]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { contentInfo in
            try contentInfo.serialize(signedData)
            try contentInfo.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { explicit in
                try explicit.appendConstructedNode(identifier: .sequence) { body in
                    try body.serialize(1)
                    body.appendConstructedNode(identifier: .set) { _ in }
                    try body.appendConstructedNode(identifier: .sequence) { try $0.serialize(data) }
                    try body.appendConstructedNode(identifier: certificatesTag) { set in
                        for certificate in certificates { try set.serialize(certificate) }
                    }
                    body.appendConstructedNode(identifier: .set) { _ in }
                }
            }
        }
        return serializer.serializedBytes
    }
}

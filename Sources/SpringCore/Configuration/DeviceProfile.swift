import Foundation

/// A product the emulator can be: its factory constants, factory register defaults and the
/// reader it uses when none is named. Profiles live in `DeviceProfiles/NAME.json`.
public struct DeviceProfile: Sendable {
    public var name: String
    public var summary: String
    public var constants: ProductConstants
    public var defaults: ConfigData
    public var defaultReader: String

    /// The profile's fields besides `defaults`, which is read by `JSONParser` to keep its order.
    private struct File: Decodable {
        var description: String
        var constants: ProductConstants
        var reader: String
    }

    public static func load(name: String, directory: String) throws(DeviceProfileError) -> DeviceProfile {
        let path = (directory as NSString).appendingPathComponent("\(name).json")
        guard let data = FileManager.default.contents(atPath: path) else {
            let known =
                (try? FileManager.default.contentsOfDirectory(atPath: directory))?
                .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted() ?? []
            throw .notFound(name: name, directory: directory, known: known)
        }
        return try parse(data, name: name, path: path)
    }

    /// Every profile in `directory`, by name; the first malformed one is an error naming it.
    public static func loadAll(directory: String) throws(DeviceProfileError) -> [DeviceProfile] {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw .notFound(name: "*", directory: directory, known: [])
        }
        var profiles: [DeviceProfile] = []
        for file in files.sorted() where file.hasSuffix(".json") {
            profiles.append(try load(name: String(file.dropLast(5)), directory: directory))
        }
        return profiles
    }

    public static func parse(_ data: Data, name: String, path: String) throws(DeviceProfileError) -> DeviceProfile {
        let root: JSONValue
        do {
            root = try JSONParser.parse(data)
        } catch {
            throw .malformed(path: path, detail: error.description)
        }
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .malformed(path: path, detail: Self.describe(error))
        }
        guard case .object(let fields) = root, let defaultsJSON = fields["defaults"] else {
            throw .malformed(path: path, detail: "\"defaults\" is missing; it holds the factory registers as a CONFIG-DATA object")
        }
        let defaults: ConfigData
        do {
            defaults = try ConfigData(json: defaultsJSON, file: "\(path) (defaults)")
        } catch {
            throw .malformed(path: path, detail: error.description)
        }
        return DeviceProfile(
            name: name, summary: file.description, constants: file.constants, defaults: defaults, defaultReader: file.reader)
    }
}

extension DeviceProfile {
    /// A decoding error in words, naming the field (syntax has already been checked by `JSONParser`).
    static func describe(_ error: any Error) -> String {
        func path(_ context: DecodingError.Context) -> String { context.codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            let parent = path(context)
            return "\"\(parent.isEmpty ? "" : parent + ".")\(key.stringValue)\" is missing"
        case DecodingError.typeMismatch(let type, let context), DecodingError.valueNotFound(let type, let context):
            return "\"\(path(context))\" must be \(type == String.self ? "a string" : type == Bool.self ? "true or false" : "\(type)")"
        case DecodingError.dataCorrupted(let context):
            return "\"\(path(context))\": \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}

public enum DeviceProfileError: Error, Sendable, CustomStringConvertible {
    case notFound(name: String, directory: String, known: [String])
    case malformed(path: String, detail: String)

    public var description: String {
        switch self {
        case .notFound(let name, let directory, let known):
            "no device profile \"\(name)\" in \(directory); known profiles: \(known.isEmpty ? "none" : known.joined(separator: ", "))"
        case .malformed(let path, let detail):
            "device profile \(path) is malformed: \(detail)"
        }
    }
}

import Foundation

/// A product the emulator can be: its factory constants, factory register defaults and the
/// reader it uses when none is named. Profiles live in `DeviceProfiles/NAME.json`.
public struct DeviceProfile: Sendable {
    public var name: String
    public var summary: String
    public var constants: ProductConstants
    public var defaults: ConfigData
    public var defaultReader: String

    private struct File: Decodable {
        var description: String
        var constants: ProductConstants
        var defaults: JSONValue
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
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch {
            throw .malformed(path: path, detail: JSONValue.describe(error, in: data))
        }
        let defaults: ConfigData
        do {
            let encoded = try JSONEncoder().encode(file.defaults)
            defaults = try ConfigData.parse(encoded, file: "\(path) (defaults)")
        } catch let error as ConfigDataError {
            throw .malformed(path: path, detail: error.description)
        } catch {
            throw .malformed(path: path, detail: "\(error)")
        }
        return DeviceProfile(
            name: name, summary: file.description, constants: file.constants, defaults: defaults, defaultReader: file.reader)
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

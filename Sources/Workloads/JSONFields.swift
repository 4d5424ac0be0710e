import Foundation
import TunebenchCore

/// Typed access to a JSON object's fields with errors that name the file and the field.
struct JSONFields {
    let object: [String: JSONValue]
    let path: String
    /// Where in the file this object is, e.g. "layers[3]" ("" at the top level).
    let location: String

    init(_ object: [String: JSONValue], path: String, location: String = "") {
        self.object = object
        self.path = path
        self.location = location
    }

    /// Reads and parses a JSON file whose top level is an object.
    static func load(path: String) throws -> JSONFields {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be read (\(error.localizedDescription))")
        }
        if let problem = JSONInputLimits.problem(data) { throw FileError(path: path, message: problem) }
        let parsed: JSONValue
        do { parsed = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw FileError(path: path, message: "is not valid JSON: \(whyNotJSON(data))")
        }
        guard case .object(let object) = parsed else { throw FileError(path: path, message: "must hold a JSON object at the top level") }
        return JSONFields(object, path: path)
    }

    /// Why `data` does not parse, with the line and column where it stopped: JSONDecoder says
    /// only "not valid JSON" here; JSONSerialization says why, at a byte offset.
    static func whyNotJSON(_ data: Data) -> String {
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "\(error)"
            guard let range = detail.range(of: #"around character \d+"#, options: .regularExpression),
                  let offset = Int(detail[range].split(separator: " ").last ?? "") else { return detail }
            let bytes = [UInt8](data.prefix(offset))
            let line = bytes.filter { $0 == 10 }.count + 1
            let column = offset - (bytes.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
            return detail.replacingCharacters(in: range, with: "at line \(line), column \(column)")
        }
        return "a value Foundation reads but the decoder does not"
    }

    func name(_ field: String) -> String { location.isEmpty ? "\"\(field)\"" : "\"\(location).\(field)\"" }

    func has(_ field: String) -> Bool { object[field] != nil && object[field] != .null }

    /// A positive integer (4096 or 4096.0).
    func positiveInt(_ field: String, context: String = "") throws -> Int {
        guard let raw = object[field], raw != .null else { throw FileError(path: path, message: "missing field \(name(field))\(context)") }
        return try positiveInt(raw, field: field)
    }

    func optionalPositiveInt(_ field: String) throws -> Int? {
        guard let raw = object[field], raw != .null else { return nil }
        return try positiveInt(raw, field: field)
    }

    /// A non-negative integer (a count that may be 0), nil when absent.
    func optionalNonNegativeInt(_ field: String) throws -> Int? {
        guard let raw = object[field], raw != .null else { return nil }
        if case .number(let value) = raw, value == value.rounded(), value >= 0, value < 1e12 { return Int(value) }
        throw FileError(path: path, message: "field \(name(field)) must be a non-negative integer, got \(raw.shown)")
    }

    private func positiveInt(_ raw: JSONValue, field: String) throws -> Int {
        if case .number(let value) = raw, value == value.rounded(), value >= 1, value < 1e12 { return Int(value) }
        throw FileError(path: path, message: "field \(name(field)) must be a positive integer, got \(raw.shown)")
    }

    func string(_ field: String) throws -> String {
        guard let raw = object[field], raw != .null else { throw FileError(path: path, message: "missing field \(name(field))") }
        guard case .string(let text) = raw else { throw FileError(path: path, message: "field \(name(field)) must be a string, got \(raw.shown)") }
        return text
    }

    func optionalString(_ field: String) throws -> String? {
        guard has(field) else { return nil }
        return try string(field)
    }

    func optionalBool(_ field: String) throws -> Bool? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .bool(let value) = raw else { throw FileError(path: path, message: "field \(name(field)) must be true or false, got \(raw.shown)") }
        return value
    }

    /// A nested object (e.g. a multimodal config's "text_config"), nil when absent.
    func optionalObject(_ field: String) throws -> JSONFields? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .object(let nested) = raw else { throw FileError(path: path, message: "field \(name(field)) must be an object, got \(raw.shown)") }
        return JSONFields(nested, path: path, location: location.isEmpty ? field : "\(location).\(field)")
    }

    /// These fields with `defaults` for the ones absent (or null).
    func filling(_ defaults: [String: JSONValue]) -> JSONFields {
        var merged = object
        for (key, value) in defaults where !has(key) { merged[key] = value }
        return JSONFields(merged, path: path, location: location)
    }

    /// A list of non-negative integers (layer indices), nil when absent.
    func optionalIndexList(_ field: String) throws -> [Int]? {
        guard let raw = object[field], raw != .null else { return nil }
        guard case .array(let list) = raw else { throw FileError(path: path, message: "field \(name(field)) must be a list, got \(raw.shown)") }
        return try list.map { item in
            guard case .number(let value) = item, value == value.rounded(), value >= 0, value < 1e9 else {
                throw FileError(path: path, message: "field \(name(field)) must list non-negative integers, got \(item.shown)")
            }
            return Int(value)
        }
    }

    /// The objects of a list field, each with its location for errors.
    func objects(_ field: String) throws -> [JSONFields] {
        guard let raw = object[field], raw != .null else { throw FileError(path: path, message: "missing field \(name(field))") }
        guard case .array(let list) = raw else { throw FileError(path: path, message: "field \(name(field)) must be a list, got \(raw.shown)") }
        return try list.enumerated().map { index, item in
            let here = "\(location.isEmpty ? "" : location + ".")\(field)[\(index)]"
            guard case .object(let object) = item else { throw FileError(path: path, message: "\"\(here)\" must be an object, got \(item.shown)") }
            return JSONFields(object, path: path, location: here)
        }
    }
}

import Foundation
import TunebenchCore

/// A whole tuning database as one JSON document (docs/tuning-database.md): what `db export`
/// writes and `db import` reads. Rows are in key order, so the same database always exports
/// to the same bytes and an import followed by an export reproduces the file exactly.
public struct DatabaseDump: Codable, Equatable, Sendable {
    public static let formatName = "tunebench-tuning-database"

    public var format: String
    public var schemaVersion: Int
    public var profiles: [ProfileRecord]
    public var runs: [RunRecord]
    public var trials: [TrialRecord]
    public var best: [BestRecord]
    /// Since schema 3; exports of older versions have none.
    public var choices: [ChoiceRecord]

    public init(profiles: [ProfileRecord], runs: [RunRecord], trials: [TrialRecord], best: [BestRecord], choices: [ChoiceRecord] = []) {
        format = Self.formatName
        schemaVersion = TuningDatabase.currentSchemaVersion
        self.profiles = profiles.sorted { $0.id < $1.id }
        self.runs = runs.sorted { $0.id < $1.id }
        // A ratio stored as inf or NaN (a profile with a zero or negative roofline, before that was
        // refused) is not JSON: it is exported as absent instead of failing the whole export.
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        self.trials = trials.sorted { ($0.runId, $0.seq) < ($1.runId, $1.seq) }.map { trial in
            var trial = trial
            (trial.rooflineFraction, trial.gflops, trial.relativeError, trial.cv) = (finite(trial.rooflineFraction), finite(trial.gflops),
                                                                                   finite(trial.relativeError), finite(trial.cv))
            return trial
        }
        self.best = best.sorted { ($0.profileId, $0.layer, $0.kernelLibraryVersion) < ($1.profileId, $1.layer, $1.kernelLibraryVersion) }.map { best in
            var best = best
            (best.rooflineFraction, best.margin, best.speedupOverDefault) = (finite(best.rooflineFraction), finite(best.margin), finite(best.speedupOverDefault))
            return best
        }
        self.choices = choices.sorted {
            ($0.profileId, $0.layer, $0.kernelLibraryVersion, $0.policy) < ($1.profileId, $1.layer, $1.kernelLibraryVersion, $1.policy)
        }
    }

    enum CodingKeys: String, CodingKey { case format, schemaVersion, profiles, runs, trials, best, choices }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(String.self, forKey: .format)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        profiles = try container.decode([ProfileRecord].self, forKey: .profiles)
        runs = try container.decode([RunRecord].self, forKey: .runs)
        trials = try container.decode([TrialRecord].self, forKey: .trials)
        best = try container.decode([BestRecord].self, forKey: .best)
        choices = try container.decodeIfPresent([ChoiceRecord].self, forKey: .choices) ?? []
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Reads a file `db export` wrote.
    public static func load(path: String) throws -> DatabaseDump {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, message: "cannot be read: \(error.localizedDescription)")
        }
        return try decode(data, path: path)
    }

    /// Reads an export, naming the file and the problem when it is not one.
    public static func decode(_ data: Data, path: String) throws -> DatabaseDump {
        let dump: DatabaseDump
        do {
            dump = try JSONDecoder().decode(DatabaseDump.self, from: data)
        } catch let error as DecodingError {
            throw FileError(path: path, message: "is not a tunebench database export: \(describe(error))")
        }
        guard dump.format == formatName else {
            throw FileError(path: path, message: "has format \"\(dump.format)\", expected \"\(formatName)\"")
        }
        guard dump.schemaVersion <= TuningDatabase.currentSchemaVersion else {
            throw FileError(path: path, message: "was exported by a newer tunebench (schema \(dump.schemaVersion), this build knows \(TuningDatabase.currentSchemaVersion))")
        }
        return dump
    }

    static func describe(_ error: DecodingError) -> String {
        func where_(_ path: [CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch error {
        case .dataCorrupted(let context): return "invalid JSON at \(where_(context.codingPath)): \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)"
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\" at \(where_(context.codingPath))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "wrong type at \(where_(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

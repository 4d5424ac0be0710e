import Foundation
import Kernels
import Search
import TunebenchCore
import TuningDatabase

/// An exhaustively measured space, as `tune --strategy exhaustive --write-space FILE` writes
/// it (docs/tuning-database.md): the parameters and their values, and every configuration's
/// GFLOP/s (null when it failed). `simulate` replays strategies on it without running kernels.
/// A T4 results file (Kernel Tuner's format) is read as one too.
public struct RecordedSpace: Codable, Sendable {
    public static let formatName = "tunebench-recorded-space"

    public struct Parameter: Codable, Sendable {
        public var name: String
        public var values: [ParameterValue]
    }

    public struct Entry: Codable, Sendable {
        public var config: String
        public var status: String
        public var gflops: Double?
    }

    public var format: String
    public var layer: String
    public var kernel: String
    public var profileId: String
    public var fixed: String
    public var parameters: [Parameter]
    /// The analytical model's configuration, when it lies in the space.
    public var analytical: String?
    public var entries: [Entry]
    /// Independent measurements averaged into each entry's score (nil: one).
    public var passes: Int?

    public init(layer: String, kernel: String, profileId: String, fixed: String, parameters: [Parameter], analytical: String?, entries: [Entry]) {
        format = Self.formatName
        self.layer = layer
        self.kernel = kernel
        self.profileId = profileId
        self.fixed = fixed
        self.parameters = parameters
        self.analytical = analytical
        self.entries = entries
    }

    /// The space of a finished run: its (fixed) parameter space and its trials.
    public init(result: TuneResult, space: ParameterSpace, profileID: String, fixed: String, analytical: KernelConfig?) {
        self.init(layer: result.problem.key, kernel: space.kernel, profileId: profileID, fixed: fixed,
                  parameters: space.parameters.map { Parameter(name: $0.name, values: $0.values) },
                  analytical: analytical?.description,
                  entries: result.trials.map { Entry(config: $0.config, status: $0.status.rawValue, gflops: $0.status == .ok ? $0.gflops : nil) })
    }

    /// The recorded configurations are the valid ones: the search space for a replay.
    public var searchSpace: SearchSpace {
        let recorded = Set(entries.compactMap { try? KernelConfig(parsing: $0.config) })
        return SearchSpace(ParameterSpace(kernel: kernel, parameters: parameters.map { .init($0.name, $0.values) },
                                          constraints: [.init("recorded") { recorded.contains($0) }]))
    }

    public var scores: [KernelConfig: Double] {
        var scores: [KernelConfig: Double] = [:]
        for entry in entries {
            if let gflops = entry.gflops, let config = try? KernelConfig(parsing: entry.config) { scores[config] = gflops }
        }
        return scores
    }

    public func encoded() throws -> Data {
        try StableJSON.encode(self)
    }

    /// Several recordings of the same space (each configuration freshly instantiated and
    /// measured in each) as one: the mean GFLOP/s per configuration, failed if any pass failed.
    public static func averaging(_ spaces: [RecordedSpace]) throws -> RecordedSpace {
        guard var result = spaces.first else { throw SearchError(message: "no recorded space given") }
        guard spaces.count > 1 else { return result }
        for other in spaces.dropFirst() where other.layer != result.layer || other.fixed != result.fixed || other.kernel != result.kernel {
            throw SearchError(message: "cannot average recordings of different spaces: \(result.layer) [\(result.fixed)] and \(other.layer) [\(other.fixed)]")
        }
        let passes = spaces.map { Dictionary($0.entries.map { ($0.config, $0) }, uniquingKeysWith: { first, _ in first }) }
        result.entries = result.entries.map { entry in
            let all = passes.compactMap { $0[entry.config] }
            let scores = all.compactMap(\.gflops)
            guard all.count == passes.count, scores.count == all.count else {
                return Entry(config: entry.config, status: all.first { $0.gflops == nil }?.status ?? "missing", gflops: nil)
            }
            return Entry(config: entry.config, status: "ok", gflops: scores.reduce(0, +) / Double(scores.count))
        }
        result.passes = spaces.map { $0.passes ?? 1 }.reduce(0, +)
        return result
    }

    /// Reads a recorded space, or a T4 results file, naming the file and the problem.
    public static func load(path: String) throws -> RecordedSpace {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw SearchError(message: "cannot read \(path): \(error.localizedDescription)")
        }
        if let space = try? JSONDecoder().decode(RecordedSpace.self, from: data), space.format == formatName { return space }
        if let t4 = try? JSONDecoder().decode(T4Results.self, from: data) { return try RecordedSpace(t4: t4, path: path) }
        throw SearchError(message: "\(path) is neither a tunebench recorded space (format \"\(formatName)\") nor a T4 results file")
    }

    /// A T4 file's results as a space: each parameter's values are those seen; the score is
    /// 1 / time (higher is better, like GFLOP/s).
    init(t4: T4Results, path: String) throws {
        var values: [String: Set<ParameterValue>] = [:]
        var entries: [Entry] = []
        for result in t4.results {
            for (name, value) in result.configuration { values[name, default: []].insert(value) }
            let config = KernelConfig(kernel: "t4", values: result.configuration)
            let time = result.measurements.first { $0.name == "time" }?.value.number
            let ok = result.invalidity == "correct" && (time ?? 0) > 0
            entries.append(Entry(config: config.description, status: ok ? "ok" : result.invalidity, gflops: ok ? 1 / time! : nil))
        }
        guard !entries.isEmpty else { throw SearchError(message: "\(path) has no results") }
        self.init(layer: "t4 \(URL(fileURLWithPath: path).lastPathComponent)", kernel: "t4", profileId: "unknown", fixed: "",
                  parameters: values.keys.sorted().map { Parameter(name: $0, values: values[$0]!.sorted()) }, analytical: nil, entries: entries)
    }
}

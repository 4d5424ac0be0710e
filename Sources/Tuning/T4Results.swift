import Foundation
import Kernels
import TunebenchCore
import TuningDatabase

/// The T4 autotuning-results format (schema 1.0.0, as Kernel Tuner's `store_output_file`
/// writes it): one entry per configuration with its parameters, timings in milliseconds, an
/// invalidity ("correct", "constraints", "compile", "runtime", "correctness", "timeout") and
/// measurements. Written by `tune --t4 FILE` and read by `simulate --space FILE`.
public struct T4Results: Codable, Sendable {
    public struct Result: Codable, Sendable {
        public var timestamp: String?
        public var configuration: [String: ParameterValue]
        public var times: [String: T4Value]?
        public var invalidity: String
        public var correctness: Double
        public var measurements: [Measurement]
        public var objectives: [String]
    }

    public struct Measurement: Codable, Sendable {
        public var name: String
        public var value: T4Value
        public var unit: String
    }

    public var results: [Result]
    public var schemaVersion: String
    public var metadata: [String: String]?

    enum CodingKeys: String, CodingKey {
        case results, metadata
        case schemaVersion = "schema_version"
    }

    /// A run's trials in T4. `runtimes` is left empty: trials keep the median, not every sample.
    public init(trials: [TrialRecord]) throws {
        results = try trials.map { trial in
            let config = try KernelConfig(parsing: trial.config)
            var measurements: [Measurement] = []
            if let median = trial.medianSeconds { measurements.append(Measurement(name: "time", value: .number(median * 1e3), unit: "ms")) }
            if let gflops = trial.gflops { measurements.append(Measurement(name: "GFLOP/s", value: .number(gflops), unit: "GFLOP/s")) }
            if trial.status != .ok { measurements.append(Measurement(name: "__error__", value: .text(trial.message ?? ""), unit: "")) }
            return Result(timestamp: trial.measuredAt, configuration: config.values,
                          times: ["benchmark": .number(trial.wallSeconds * 1e3), "runtimes": .list([])],
                          invalidity: Self.invalidity(trial.status), correctness: trial.status == .wrongResult ? 0 : 1,
                          measurements: measurements, objectives: ["time"])
        }
        schemaVersion = "1.0.0"
        metadata = ["timeunit": "milliseconds"]
    }

    static func invalidity(_ status: TrialRecord.Status) -> String {
        switch status {
        case .ok: "correct"
        case .invalid: "constraints"
        case .wrongResult: "correctness"
        case .crashed: "runtime"
        case .timedOut: "timeout"
        }
    }

    public func encoded() throws -> Data {
        try StableJSON.encode(self, pretty: false)
    }
}

/// A T4 value: a number, a string or a list of numbers.
public enum T4Value: Codable, Sendable, Equatable {
    case number(Double)
    case text(String)
    case list([Double])

    public var number: Double? { if case .number(let value) = self { value } else { nil } }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Double.self) { self = .number(value) } else if let value = try? container.decode([Double].self) {
            self = .list(value)
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let value): try container.encode(value)
        case .text(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        }
    }
}

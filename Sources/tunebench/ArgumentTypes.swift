import ArgumentParser
import DeploymentExport
import Foundation
import Kernels
import ModelEngine
import Search
import Tuning

// Options that are enumerations parse as enumerations: a wrong value is refused with the list
// of valid ones, before any work.
extension Precision: ExpressibleByArgument {}
extension KernelKind: ExpressibleByArgument {}
extension StrategyName: ExpressibleByArgument {}
extension DeploymentExport.Format: ExpressibleByArgument {}
extension DatabaseExportFormat: ExpressibleByArgument {}

/// `--epilogue bias+relu`.
enum EpilogueArgument {
    static func parse(_ text: String) throws -> Epilogue {
        do { return try Epilogue(parsing: text) } catch let error as KernelError { throw ValidationError("--epilogue: \(error.message)") }
    }
}

/// A comma-separated list of an enumeration's values, or a keyword for a default list:
/// `--precision auto` or fp32,int8; `--strategy all` or random,model.
enum ValueList {
    static func parse<Value: RawRepresentable & CaseIterable>(_ text: String, option: String, keyword: String, meaning all: [Value]) throws -> [Value]
        where Value.RawValue == String {
        if text == keyword { return all }
        return try text.split(separator: ",").map { name in
            guard let value = Value(rawValue: String(name)) else {
                throw ValidationError("\(option): \(name) is not one of \(keyword), \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return value
        }
    }

    static func precisions(_ text: String) throws -> [Precision] {
        try parse(text, option: "--precision", keyword: "auto", meaning: Precision.allCases)
    }

    static func strategies(_ text: String) throws -> [StrategyName] {
        try parse(text, option: "--strategy", keyword: "all", meaning: StrategyName.replayedByDefault)
    }
}

/// `--dim name=sizes`: one symbolic dimension of an ONNX model and its sizes, e.g. batch=1,32.
/// `run` and `compare` take one size each.
struct DimensionBinding {
    var name: String
    var sizes: [Int]

    static func parse(_ item: String) throws -> DimensionBinding {
        let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let sizes = parts.count == 2 ? parts[1].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) } : []
        guard parts.count == 2, !parts[0].isEmpty, !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw ValidationError("--dim takes name=sizes with positive sizes, e.g. batch=1,32; got \"\(item)\"")
        }
        return DimensionBinding(name: parts[0], sizes: sizes.compactMap { $0 })
    }

    /// Every size of every dimension; a dimension given twice is refused.
    static func sizes(_ bindings: [DimensionBinding]) throws -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        for binding in bindings {
            guard result[binding.name] == nil else { throw ValidationError("--dim \(binding.name) is given twice") }
            result[binding.name] = binding.sizes
        }
        return result
    }

    /// One size per dimension, in the order given (`run`, `compare`).
    static func single(_ bindings: [DimensionBinding]) throws -> [(name: String, size: Int)] {
        _ = try sizes(bindings)
        return try bindings.map { binding in
            guard binding.sizes.count == 1 else {
                throw ValidationError("--dim takes one size here, e.g. \(binding.name)=\(binding.sizes[0]); got \(binding.sizes.count)")
            }
            return (binding.name, binding.sizes[0])
        }
    }
}

/// "1,2,4" → [1, 2, 4].
enum ThreadCounts {
    static func parse(_ text: String) throws -> [Int] {
        let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--threads takes a comma-separated list of positive counts, e.g. 1,2,4; got \"\(text)\"")
        }
        return counts.compactMap { $0 }
    }
}

/// `--tokens 1,32`: positive token counts.
enum TokenCounts {
    static func parse(_ text: String) throws -> [Int] {
        let counts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else { throw ValidationError("--tokens takes positive counts, e.g. 1,32") }
        return counts.compactMap { $0 }
    }
}

/// "90", "90s", "2m", "1h" → seconds.
enum DurationArgument {
    static func parse(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let last = trimmed.last, let unit = units[last], let value = Double(trimmed.dropLast()), value > 0 { return value * unit }
        if let value = Double(trimmed), value > 0 { return value }
        throw ValidationError("a duration is a positive number with s, m or h, e.g. 90s, 2m, 1h; got \"\(text)\"")
    }
}

extension ModelMetric: ExpressibleByArgument {}

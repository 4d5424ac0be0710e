import Foundation
import HardwareProbe
import KernelModel
import TunebenchCore
import TunebenchRuntime

extension ComparisonTarget {
    /// `compare --device D --precision P`: each side's target. Each option takes one value for
    /// both sides ("gpu", "fp16") or values per side as `--cost` does ("A=gpu,B=cpu"; a side
    /// named A or B, or by its profile's id); a side not named keeps its CPU and chosen precision.
    public static func parse(devices: String?, precisions: String?, a: HardwareProfile, b: HardwareProfile) throws -> (a: ComparisonTarget, b: ComparisonTarget) {
        let device = try devices.map {
            try perSide($0, option: "--device", example: "A=gpu,B=cpu", a: a.id, b: b.id) as (a: ComputeDevice?, b: ComputeDevice?)
        }
        let precision = try precisions.map {
            try perSide($0, option: "--precision", example: "A=fp16,B=int8", a: a.id, b: b.id) as (a: Precision?, b: Precision?)
        }
        func target(_ side: String, _ profile: HardwareProfile, _ chosen: ComputeDevice?, _ precision: Precision?) throws -> ComparisonTarget {
            do {
                return try ComparisonTarget(chosen ?? .cpu, of: profile, precision: precision)
            } catch let error as OptionError {
                throw OptionError("--device \(side)=gpu: \(error.message)")
            }
        }
        return (try target("A", a, device?.a, precision?.a), try target("B", b, device?.b, precision?.b))
    }

    /// "VALUE" for both sides, or "A=VALUE,B=VALUE"; an id naming both profiles (one profile
    /// compared with itself) sets both sides.
    static func perSide<Value: RawRepresentable & CaseIterable>(_ text: String, option: String, example: String, a: String, b: String) throws
        -> (a: Value?, b: Value?) where Value.RawValue == String {
        func read(_ word: String) throws -> Value {
            guard let parsed = Value(rawValue: word) else {
                let known = Value.allCases.map(\.rawValue).joined(separator: ", ")
                throw OptionError("\(option): \"\(word)\" is not one of \(known) (e.g. \(option) \(example))")
            }
            return parsed
        }
        let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.isEmpty else { throw OptionError("\(option) takes one value for both sides or SIDE=VALUE pairs, e.g. \(example)") }
        if items.count == 1, !items[0].contains("=") {
            let both = try read(items[0])
            return (both, both)
        }
        var result: (a: Value?, b: Value?) = (nil, nil)
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { throw OptionError("\(option) takes one value for both sides or SIDE=VALUE pairs, e.g. \(example); got \"\(item)\"") }
            let sideA = parts[0] == "A" || parts[0] == a, sideB = parts[0] == "B" || parts[0] == b
            guard sideA || sideB else { throw OptionError("\(option): \"\(parts[0])\" is neither A, B, \(a) nor \(b)") }
            let parsed = try read(parts[1])
            if sideA {
                guard result.a == nil else { throw OptionError("\(option): side A is given twice") }
                result.a = parsed
            }
            if sideB {
                guard result.b == nil else { throw OptionError("\(option): side B is given twice") }
                result.b = parsed
            }
        }
        return result
    }
}

import Foundation
import Kernels
import ONNXProto
import TunebenchCore
import Workloads

/// A model's inputs: seeded ones for checks and timing, or read from NumPy files for `run
/// --input` and `autotune --calibration`.
public enum ModelInputs {
    /// Seeded inputs of the plan's shapes: floats uniform in [-1, 1); integer inputs (masks,
    /// token type ids) 0 or 1, one with probability 3/4 and the first of every row 1, as a
    /// padding mask is.
    public static func seeded(_ plan: ONNXPlan, seed: UInt64) -> [String: Tensor] {
        var data = TestData(seed: seed)
        return Dictionary(uniqueKeysWithValues: plan.inputs.map { input in
            let count = input.shape.reduce(1, *)
            guard input.isInteger else { return (input.name, Tensor(shape: input.shape, data: (0..<count).map { _ in data.nextUnit() })) }
            let row = max(input.shape.last ?? 1, 1)
            return (input.name, Tensor(shape: input.shape, ints: (0..<count).map { $0 % row == 0 || data.nextUnit() < 0.5 ? 1 : 0 }))
        })
    }

    /// One set of inputs from a .npy file (a model with one input) or a .npz archive (arrays
    /// named as the inputs), checked against the plan.
    public static func load(path: String, plan: ONNXPlan) throws -> [String: Tensor] {
        var inputs: [String: Tensor]
        if path.lowercased().hasSuffix(".npz") {
            inputs = Dictionary(try NPZFile.load(path: path).map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        } else {
            guard plan.inputs.count == 1, let name = plan.inputs.first?.name else {
                let names = plan.inputs.map(\.name).joined(separator: ", ")
                throw FileError(path: path, message: "a .npy file holds one array; the model has \(plan.inputs.count) inputs (\(names)): give a .npz with an array per input")
            }
            inputs = [name: try NPYFile.load(path: path)]
        }
        try check(inputs, plan: plan, source: path)
        for input in plan.inputs where input.isInteger {
            // Integer inputs saved as floats (numpy's default) are read as integers.
            if let given = inputs[input.name], given.ints == nil { inputs[input.name] = ReferenceOperators.cast(given, to: Int(Onnx_TensorProto.DataType.int64.rawValue)) }
        }
        return inputs
    }

    /// Calibration input sets: one .npy/.npz file, or every .npy/.npz file of a directory (in
    /// name order), each a set that fits one of `plans` (the model at each binding of its
    /// dimensions).
    public static func calibration(path: String, plans: [ONNXPlan]) throws -> [[String: Tensor]] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FileError(path: path, message: "does not exist (--calibration takes a .npz or .npy file, or a directory of them)")
        }
        func set(_ file: String) throws -> [String: Tensor] {
            var firstError: Error?
            for plan in plans {
                do { return try load(path: file, plan: plan) } catch { firstError = firstError ?? error }
            }
            throw firstError ?? FileError(path: file, message: "there is no model to match it against")
        }
        guard isDirectory.boolValue else { return [try set(path)] }
        let files = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.lowercased().hasSuffix(".npz") || $0.lowercased().hasSuffix(".npy") }.sorted()
        guard !files.isEmpty else { throw FileError(path: path, message: "holds no .npz or .npy files") }
        return try files.map { try set((path as NSString).appendingPathComponent($0)) }
    }

    /// Throws unless `inputs` has a value of the right shape for every input of the plan.
    public static func check(_ inputs: [String: Tensor], plan: ONNXPlan, source: String) throws {
        for input in plan.inputs {
            guard let given = inputs[input.name] else {
                throw FileError(path: source, message: "no value for input \"\(input.name)\" (it has \(inputs.keys.sorted().joined(separator: ", ")))")
            }
            guard given.shape == input.shape else {
                throw FileError(path: source, message: "input \"\(input.name)\" has shape \(given.shape), the model at these dimensions takes \(input.shape)")
            }
        }
    }
}

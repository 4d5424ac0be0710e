import KernelModel
import ONNXProto
import TunebenchCore

/// Imports an ONNX model's products as layers to tune: Gemm and MatMul (batched too) as GEMMs,
/// Conv as conv2d. Shapes come from the graph with its symbolic dimensions bound, weights from
/// the initializers (for the precision error checks), and a following bias Add, Relu or
/// tanh-form Gelu is fused into the layer's epilogue. Other operators are counted as not tuned
/// (they run outside the kernels) or, without a shape rule, listed as unsupported.
public enum ONNXImport {
    /// - Parameter dimensions: symbolic dimension → the sizes to import it at, e.g.
    ///   ["batch": [1, 32], "seq": [128]]: one import per combination, instances named with it.
    public static func load(path: String, dimensions: [String: [Int]] = [:]) throws -> Workload {
        try inspect(path: path, dimensions: dimensions).workload
    }

    /// The import with what it found along the way (`tunebench inspect`): the workload, what
    /// the clean-up changed, and the operators that run outside the tuned kernels.
    public static func inspect(path: String, dimensions: [String: [Int]] = [:]) throws -> ModelInspection {
        let file = try ONNXFile.load(path: path)
        if let bad = dimensions.first(where: { $0.value.isEmpty || $0.value.contains { $0 <= 0 } }) {
            throw FileError(path: path, message: "--dim \(bad.key): sizes must be positive integers, got \(bad.value)")
        }
        try ONNXShapeInference.checkNamesExist(dimensions.keys, in: file)
        let order = ONNXShapeInference.symbolicDimensions(of: file)
        var weights = ONNXWeightCache(file: file)
        var instances: [Workload.Instance] = []
        var unsupported: [String] = []
        var notes: [String] = []
        var notTuned: [String: Int] = [:]
        for binding in combinations(dimensions, order: order) {
            var graph = try ONNXGraphImport(file: file, binding: binding)
            try graph.run(weights: &weights)
            let suffix = binding.isEmpty ? "" : " (" + binding.map { "\($0.name)=\($0.size)" }.joined(separator: ", ") + ")"
            instances += graph.instances.map { instance in
                var named = instance
                named.name += suffix
                return named
            }
            for item in graph.unsupported where !unsupported.contains(item) { unsupported.append(item) }
            for item in graph.notes where !notes.contains(item) { notes.append(item) }
            if notTuned.isEmpty { notTuned = graph.notTuned }
        }
        guard !instances.isEmpty else {
            let skipped = unsupported.isEmpty ? "" : " (skipped: \(unsupported.joined(separator: "; ")))"
            throw FileError(path: path, message: "has no Gemm, MatMul or Conv to tune\(skipped)")
        }
        if !file.cleanup.isEmpty { notes.append(file.cleanup.summary) }
        if !weights.loaded.isEmpty {
            let megabytes = Double(weights.loaded.values.reduce(0) { $0 + $1.values.count } * 4) / 1e6
            notes.append(String(format: "weights: the model's initializers (%d tensors, %.1f MB), used for the precision error checks (on 8 random calibration rows per layer)", weights.loaded.count, megabytes))
        }
        var notTunedNote: String?
        if !notTuned.isEmpty {
            let counts = notTuned.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) x\($0.value)" }
            notTunedNote = "not tuned (run outside the tuned kernels), per forward pass: \(counts.joined(separator: ", "))"
            notes.append(notTunedNote!)
        }
        if instances.contains(where: { $0.layer.operation == .matmul }) {
            notes.append("matmul layers multiply two activations (attention's Q·Kᵀ and P·V): B changes on every call, so it is packed per call and stays fp32")
        }
        let name = file.graph.name.isEmpty ? path : file.graph.name
        let workload = Workload(name: name, source: path, instances: instances, unsupported: unsupported, notes: notes)
        return ModelInspection(workload: workload, dimensions: dimensions, opset: file.opset, cleanup: file.cleanup, notTuned: notTuned,
                               notTunedNote: notTunedNote)
    }

    /// The model at one size of each symbolic dimension, ready to run: its layers and how they
    /// map onto the graph, and the shapes of the graph's inputs.
    public static func plan(path: String, dimensions: [String: Int] = [:]) throws -> ONNXPlan {
        try plan(file: try ONNXFile.load(path: path), dimensions: dimensions)
    }

    static func plan(file: ONNXFile, dimensions: [String: Int]) throws -> ONNXPlan {
        let path = file.path
        try ONNXShapeInference.checkNamesExist(dimensions.keys, in: file)
        if let bad = dimensions.first(where: { $0.value <= 0 }) {
            throw FileError(path: path, message: "--dim \(bad.key): sizes must be positive integers, got \(bad.value)")
        }
        let order = ONNXShapeInference.symbolicDimensions(of: file)
        var weights = ONNXWeightCache(file: file)
        var graph = try ONNXGraphImport(file: file, binding: order.compactMap { name in dimensions[name].map { (name, $0) } })
        try graph.run(weights: &weights)
        let shapes = try ONNXShapeInference(file: file, bindings: dimensions)
        let floating: Set<Onnx_TensorProto.DataType> = [.float, .double, .float16, .bfloat16]
        let inputs = file.graph.input.filter { !file.isInitializer($0.name) }.map { input in
            let type = Onnx_TensorProto.DataType(rawValue: Int(input.type.tensorType.elemType)) ?? .float
            return (input.name, shapes.values[input.name]?.shape ?? [], !floating.contains(type))
        }
        let workload = Workload(name: file.graph.name.isEmpty ? path : file.graph.name, source: path, instances: graph.instances,
                                unsupported: graph.unsupported, notes: graph.notes)
        var plan = ONNXPlan(file: file, workload: workload, bindings: graph.bindings, inputs: inputs)
        plan.dimensions = order.compactMap { name in dimensions[name].map { (name, $0) } }
        return plan
    }

    /// The model ready to run at every combination of the sizes (what `load` imports).
    public static func plans(path: String, dimensions: [String: [Int]] = [:]) throws -> [ONNXPlan] {
        let file = try ONNXFile.load(path: path)
        return try combinations(dimensions, order: ONNXShapeInference.symbolicDimensions(of: file)).map { binding in
            try plan(file: file, dimensions: Dictionary(binding.map { ($0.name, $0.size) }, uniquingKeysWith: { first, _ in first }))
        }
    }

    /// Every combination of the sizes, in the model's order of its symbolic dimensions.
    static func combinations(_ dimensions: [String: [Int]], order: [String]) -> [[(name: String, size: Int)]] {
        var result: [[(name: String, size: Int)]] = [[]]
        for name in order {
            guard let sizes = dimensions[name] else { continue }
            result = result.flatMap { prefix in sizes.map { prefix + [(name, $0)] } }
        }
        return result
    }
}

/// Decodes each weight initializer once, however many bindings or layers use it.
struct ONNXWeightCache {
    let file: ONNXFile
    private(set) var loaded: [String: LayerWeights] = [:]

    init(file: ONNXFile) { self.file = file }

    /// The initializer `name` as a K x N operand. Stored [outer, inner...]: as [K, N] when not
    /// `transposed`, as [N, K] (Gemm transB, conv weights [K_out, C·R·S]) when it is.
    mutating func weights(_ name: String, transposed: Bool, scale: Float = 1) throws -> LayerWeights {
        let key = "\(name)|\(transposed)|\(scale)"
        if let cached = loaded[key] { return cached }
        guard let tensor = try file.tensor(name), tensor.dims.count >= 2 else {
            throw FileError(path: file.path, message: "weight \"\(name)\" is not a matrix initializer")
        }
        guard var values = tensor.floats else {
            throw FileError(path: file.path, message: "weight \"\(name)\" is not floating point (integer-quantized models are not supported)")
        }
        if scale != 1 { values = values.map { $0 * scale } }
        let outer = tensor.dims[0]
        let inner = tensor.count / max(outer, 1)
        let weights = transposed
            ? LayerWeights.transposing(source: name, rows: outer, columns: inner, values: values)
            : LayerWeights(source: name, rows: outer, columns: inner, values: values)
        loaded[key] = weights
        return weights
    }
}

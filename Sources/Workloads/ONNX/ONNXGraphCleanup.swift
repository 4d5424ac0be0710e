import Foundation
import ONNXProto
import TunebenchCore

/// The graph as exporters and model zoos write it, made importable before anything reads it,
/// with the model's semantics kept:
/// - every node whose inputs are all constants (initializers, `Constant`, earlier folded
///   nodes) is evaluated once with the reference operators and becomes an initializer, so
///   weights behind `Constant`/`Cast`/`Identity`/`Reshape`/`Unsqueeze` chains are initializers;
/// - `Identity` and inference-mode `Dropout` are removed (their readers read the input);
///   `Sum` of two inputs becomes `Add`, of one an identity;
/// - a `BatchNormalization`, or a `Mul`/`Add` by a per-channel (or scalar) constant, that alone
///   reads a `Conv` or `Gemm` output is folded into that node's weights and bias (new
///   initializers; the originals are left to other readers).
struct ONNXGraphCleanup {
    /// What was changed, for the import's notes.
    struct Report: Sendable, Equatable {
        var foldedConstants = 0
        var removed: [String: Int] = [:]
        var sumsAsAdd = 0
        var batchNormsFolded = 0
        var channelOpsFolded = 0
        var gelusRecognized = 0
        var layerNormsRecognized = 0
        var rmsNormsRecognized = 0
        var padsFolded = 0
        var fakeQuantizationsRemoved = 0
        /// Of those, the ones read as the Relu the quantizer had dropped.
        var fakeQuantizationsRectified = 0
        var dynamicQuantizationsRead = 0
        var quantizedOperatorsRead = 0
        var contribOperatorsRead = 0

        var isEmpty: Bool {
            foldedConstants == 0 && removed.isEmpty && sumsAsAdd == 0 && batchNormsFolded == 0 && channelOpsFolded == 0 && gelusRecognized == 0
                && layerNormsRecognized == 0 && rmsNormsRecognized == 0 && padsFolded == 0 && fakeQuantizationsRemoved == 0 && dynamicQuantizationsRead == 0
                && quantizedOperatorsRead == 0 && contribOperatorsRead == 0
        }

        /// One line for the import's notes.
        var summary: String {
            var parts: [String] = []
            if foldedConstants > 0 { parts.append("\(foldedConstants) constant node(s) evaluated into initializers") }
            for (op, count) in removed.sorted(by: { $0.key < $1.key }) { parts.append("\(count) \(op) removed") }
            if sumsAsAdd > 0 { parts.append("\(sumsAsAdd) Sum of two read as Add") }
            if batchNormsFolded > 0 { parts.append("\(batchNormsFolded) BatchNormalization folded into the preceding Conv/Gemm") }
            if channelOpsFolded > 0 { parts.append("\(channelOpsFolded) Mul/Add by a per-channel constant folded into the preceding Conv/Gemm") }
            if gelusRecognized > 0 { parts.append("\(gelusRecognized) erf GELU written out as Div/Erf/Add/Mul read as Gelu") }
            if padsFolded > 0 { parts.append("\(padsFolded) zero Pad folded into the following Conv's pads") }
            if fakeQuantizationsRemoved > 0 {
                let relus = fakeQuantizationsRectified > 0 ? ", \(fakeQuantizationsRectified) of them read as the Relu the quantizer folded into their range" : ""
                parts.append("\(fakeQuantizationsRemoved) QuantizeLinear → DequantizeLinear pair(s) on activations removed\(relus) (a quantized model is imported as its float graph: int8 weights dequantized, precisions chosen by tunebench)")
            }
            if contribOperatorsRead > 0 {
                parts.append("\(contribOperatorsRead) onnxruntime fused operator(s) (SkipLayerNormalization, BiasGelu, …) read as the standard operators they compute")
            }
            if quantizedOperatorsRead > 0 {
                parts.append("\(quantizedOperatorsRead) quantized operator(s) (QLinearConv, QLinearMatMul, QGemm, …) read as their float operators on dequantized weights")
            }
            if dynamicQuantizationsRead > 0 {
                parts.append("\(dynamicQuantizationsRead) dynamically quantized MatMulInteger read as MatMul on its dequantized weights")
            }
            if layerNormsRecognized > 0 { parts.append("\(layerNormsRecognized) LayerNorm written out as ReduceMean/Sub/Pow/Sqrt/Div read as LayerNormalization") }
            if rmsNormsRecognized > 0 { parts.append("\(rmsNormsRecognized) RMSNorm written out as Pow/ReduceMean/Sqrt/Reciprocal/Mul read as RMSNormalization") }
            return "graph clean-up: " + parts.joined(separator: ", ")
        }
    }

    /// Operators evaluated when all their inputs are constant: every one the reference operators
    /// compute (exporters leave masks, position ids and target shapes as constant subgraphs of
    /// Equal, Where, Range, CumSum …) but the products, whose cost grows with more than their
    /// output. Results larger than this many values are left to run (a folded constant is stored
    /// in memory with the model).
    static let foldable = ReferenceOperators.operators.subtracting(["MatMul", "Gemm", "Conv", "ConvTranspose"])
    static let largestFolded = 1 << 26

    var nodes: [Onnx_NodeProto]
    private(set) var initializers: [String: Onnx_TensorProto]
    private var newInitializers: [String] = []
    let graphOutputs: Set<String>
    let file: ONNXFile
    var report = Report()

    /// Cleans `file`'s graph; the result replaces it in the model.
    static func apply(to file: ONNXFile) throws -> (model: Onnx_ModelProto, report: Report) {
        var cleanup = ONNXGraphCleanup(file: file)
        try cleanup.foldConstants()
        cleanup.readContribOperators()
        try cleanup.readQuantizedOperators()
        try cleanup.readDynamicQuantization()
        cleanup.removePassThroughs()
        cleanup.recognizePatterns()
        try cleanup.foldBatchNormalizations()
        var model = file.model
        var graph = model.graph
        graph.node = cleanup.nodes
        let used = Set(cleanup.nodes.flatMap(\.input)).union(cleanup.graphOutputs)
        graph.initializer = graph.initializer + cleanup.newInitializers.compactMap { name in used.contains(name) ? cleanup.initializers[name] : nil }
        model.graph = graph
        return (model, cleanup.report)
    }

    private init(file: ONNXFile) {
        self.file = file
        nodes = file.graph.node
        initializers = file.initializers
        graphOutputs = Set(file.graph.output.map(\.name))
    }

    static func isOwnDomain(_ node: Onnx_NodeProto) -> Bool { node.domain.isEmpty || node.domain == "ai.onnx" }

    // MARK: - Constant folding

    private mutating func foldConstants() throws {
        var constants: [String: Tensor] = [:]
        func value(_ name: String) throws -> Tensor? {
            if let known = constants[name] { return known }
            guard let proto = initializers[name] else { return nil }
            let decoded = Tensor(try ONNXTensor(proto, file: file))
            constants[name] = decoded
            return decoded
        }
        var kept: [Onnx_NodeProto] = []
        for node in nodes {
            let inputs = node.input.filter { !$0.isEmpty }
            guard Self.isOwnDomain(node), Self.foldable.contains(node.opType),
                  inputs.allSatisfy({ constants[$0] != nil || initializers[$0] != nil }),
                  !node.output.contains(where: graphOutputs.contains) else {
                kept.append(node)
                continue
            }
            let arguments = try node.input.map { $0.isEmpty ? nil : try value($0) }
            guard let outputs = try? ReferenceOperators.evaluate(node, arguments, opset: file.opset),
                  outputs.count >= node.output.filter({ !$0.isEmpty }).count,
                  outputs.allSatisfy({ $0.count <= Self.largestFolded }) else {
                kept.append(node)
                continue
            }
            for (name, output) in zip(node.output, outputs) where !name.isEmpty {
                constants[name] = output
                add(initializer: Self.proto(name: name, constants[name]!))
            }
            report.foldedConstants += 1
        }
        nodes = kept
    }

    static func proto(name: String, _ tensor: Tensor) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map { Int64($0) }
        if let ints = tensor.ints {
            proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            proto.int64Data = ints
        } else {
            proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            proto.rawData = tensor.littleEndianBytes
        }
        return proto
    }

    mutating func add(initializer proto: Onnx_TensorProto) {
        if initializers[proto.name] == nil { newInitializers.append(proto.name) }
        initializers[proto.name] = proto
    }

    // MARK: - Operators written out

    private mutating func recognizePatterns() {
        var cache: [String: [Float]] = [:]
        let initializers = self.initializers
        let file = self.file
        var patterns = ONNXGraphPatterns(nodes: nodes, constant: { name in
            if let known = cache[name] { return known }
            guard let proto = initializers[name], proto.dims.reduce(1, *) <= Int64(ONNXShapeInference.constantLimit),
                  let tensor = try? ONNXTensor(proto, file: file) else { return nil }
            let values = tensor.floats ?? tensor.ints?.map(Float.init)
            cache[name] = values
            return values
        }, graphOutputs: graphOutputs, opset: file.opset)
        patterns.apply()
        nodes = patterns.nodes
        for (name, tensor) in patterns.newInitializers { add(initializer: Self.proto(name: name, tensor)) }
        report.gelusRecognized = patterns.gelus
        report.layerNormsRecognized = patterns.layerNorms
        report.rmsNormsRecognized = patterns.rmsNorms
        if patterns.reshapes > 0 { report.removed["Reshape of a reshape", default: 0] += patterns.reshapes }
        report.padsFolded = patterns.padsFolded
    }

    // MARK: - Identity, Dropout, Sum, no-op Cast

    private mutating func removePassThroughs() {
        var replacement: [String: String] = [:]
        func resolve(_ name: String) -> String {
            var current = name
            while let next = replacement[current] { current = next }
            return current
        }
        let readers = Set(nodes.flatMap(\.input))
        let types = elementTypes()
        var kept: [Onnx_NodeProto] = []
        for var node in nodes {
            node.input = node.input.map { $0.isEmpty ? $0 : resolve($0) }
            if Self.isOwnDomain(node), node.opType == "Sum", node.input.count == 2 {
                node.opType = "Add"
                report.sumsAsAdd += 1
            }
            let passThrough: Bool = switch node.opType {
            case "Identity": true
            case "Sum": node.input.count == 1
            // A Cast to the type the value already has.
            case "Cast": node.input(0).flatMap { types[$0] }.map { Int($0) } == node.int("to")
            // Inference mode: a mask output nobody reads, and no training_mode input set true.
            case "Dropout": node.output.dropFirst().allSatisfy { $0.isEmpty || (!readers.contains($0) && !graphOutputs.contains($0)) }
                && (node.input(2).map { initializers[$0].flatMap { try? ONNXTensor($0, file: file) }?.ints == [0] } ?? true)
            default: false
            }
            if Self.isOwnDomain(node), passThrough, let input = node.input(0), let output = node.output.first, !graphOutputs.contains(output) {
                replacement[output] = input
                report.removed[node.opType, default: 0] += 1
                continue
            }
            kept.append(node)
        }
        nodes = kept
    }

    private func elementTypes() -> [String: Int32] {
        ONNXElementTypes.infer(nodes: nodes, graphInputs: file.graph.input, initializerTypes: initializers.mapValues(\.dataType))
    }

    // MARK: - BatchNormalization into Conv and Gemm

    private mutating func foldBatchNormalizations() throws {
        var readers: [String: Int] = [:]
        for node in nodes { for input in node.input where !input.isEmpty { readers[input, default: 0] += 1 } }
        var producer: [String: Int] = [:]
        for (index, node) in nodes.enumerated() { for output in node.output where !output.isEmpty { producer[output] = index } }
        var removed: Set<Int> = []
        for (index, node) in nodes.enumerated() where Self.isOwnDomain(node) {
            // The node's input from a Conv or Gemm that nothing else reads.
            func producerAlone(_ x: String?) -> Int? {
                guard let x, let p = producer[x], !removed.contains(p), readers[x] == 1, !graphOutputs.contains(x),
                      ["Conv", "Gemm"].contains(nodes[p].opType) else { return nil }
                return p
            }
            let p: Int
            let normalization: (factors: [Double], shift: [Float], mean: [Float])
            switch node.opType {
            case "BatchNormalization":
                guard let found = producerAlone(node.input(0)), node.int("training_mode") ?? 0 == 0,
                      node.output.dropFirst().allSatisfy({ $0.isEmpty || readers[$0] == nil }),
                      let scale = try floats(node.input(1)), let shift = try floats(node.input(2)),
                      let mean = try floats(node.input(3)), let variance = try floats(node.input(4)),
                      [shift.count, mean.count, variance.count].allSatisfy({ $0 == scale.count }) else { continue }
                let epsilon = Double(node.float("epsilon") ?? 1e-5)
                p = found
                normalization = (scale.indices.map { Double(scale[$0]) / (Double(variance[$0]) + epsilon).squareRoot() }, shift, mean)
            case "Mul", "Add":
                guard node.input.count == 2, let index = [0, 1].first(where: { producerAlone(node.input[$0]) != nil }),
                      let found = producerAlone(node.input[index]), let channels = try channelCount(nodes[found]),
                      let values = try perChannel(node.input[1 - index], channels: channels, of: nodes[found]) else { continue }
                p = found
                let zeros = [Float](repeating: 0, count: channels)
                normalization = node.opType == "Mul" ? (values.map(Double.init), zeros, zeros) : (Array(repeating: 1, count: channels), values, zeros)
            default:
                continue
            }
            guard var folded = try fold(nodes[p], factors: normalization.factors, shift: normalization.shift, mean: normalization.mean) else { continue }
            folded.output[0] = node.output[0]
            nodes[p] = folded
            producer[node.output[0]] = p
            removed.insert(index)
            if node.opType == "BatchNormalization" { report.batchNormsFolded += 1 } else { report.channelOpsFolded += 1 }
        }
        nodes = nodes.indices.filter { !removed.contains($0) }.map { nodes[$0] }
    }

    /// The output channels of a Conv (weights [K, …]) or Gemm (N: B's columns, rows with transB).
    private func channelCount(_ node: Onnx_NodeProto) throws -> Int? {
        guard let name = node.input(1), let proto = initializers[name], proto.dims.count >= 2 else { return nil }
        if node.opType == "Conv" { return Int(proto.dims[0]) }
        return Int(node.int("transB") ?? 0 == 1 ? proto.dims[0] : proto.dims[1])
    }

    /// A constant's values, one per output channel of `producer`, when it broadcasts that way:
    /// a scalar, [K, 1, 1] or [1, K, 1, 1] after a Conv, [N] or [1, N] after a Gemm.
    private func perChannel(_ name: String, channels: Int, of producer: Onnx_NodeProto) throws -> [Float]? {
        guard let proto = initializers[name], let values = try floats(name) else { return nil }
        if values.count == 1 { return Array(repeating: values[0], count: channels) }
        let dims = Array(proto.dims.map { Int($0) }.drop { $0 == 1 })
        let fits = producer.opType == "Conv" ? dims == [channels, 1, 1] : dims == [channels]
        return fits && values.count == channels ? values : nil
    }

    func floats(_ name: String?) throws -> [Float]? {
        guard let name, let proto = initializers[name] else { return nil }
        return try ONNXTensor(proto, file: file).floats
    }

    /// `node` (a Conv or Gemm) with the normalization y = (x − mean) · factor + shift applied
    /// to its output channels through new weight and bias initializers; nil when it cannot be.
    private mutating func fold(_ node: Onnx_NodeProto, factors: [Double], shift: [Float], mean: [Float]) throws -> Onnx_NodeProto? {
        guard Self.isOwnDomain(node), node.opType == "Conv" || node.opType == "Gemm", let weightName = node.input(1),
              let weights = try initializers[weightName].map({ try ONNXTensor($0, file: file) }), var values = weights.floats,
              weights.dims.count >= 2 else { return nil }
        let channels = factors.count
        var bias = [Float](repeating: 0, count: channels)
        var biasScale: Float = 1
        if let biasName = node.input(2) {
            guard let given = try floats(biasName), given.count == channels else { return nil }
            bias = given
        }
        var updated = node
        if node.opType == "Conv" {
            guard weights.dims[0] == channels else { return nil }
            let block = weights.count / channels
            for channel in 0..<channels {
                for i in 0..<block { values[channel * block + i] = Float(Double(values[channel * block + i]) * factors[channel]) }
            }
        } else {
            let transB = node.int("transB") ?? 0 == 1
            guard weights.dims.count == 2, (transB ? weights.dims[0] : weights.dims[1]) == channels else { return nil }
            let (rows, columns) = (weights.dims[0], weights.dims[1])
            for row in 0..<rows {
                for column in 0..<columns {
                    let channel = transB ? row : column
                    values[row * columns + column] = Float(Double(values[row * columns + column]) * factors[channel])
                }
            }
            // alpha multiplies A·B only: scaling B's output channels commutes with it; beta is
            // folded into the new bias.
            biasScale = node.float("beta") ?? 1
            if let index = updated.attribute.firstIndex(where: { $0.name == "beta" }) { updated.attribute[index].f = 1 }
        }
        let newBias = (0..<channels).map { Float((Double(bias[$0] * biasScale) - Double(mean[$0])) * factors[$0] + Double(shift[$0])) }
        let weightsOut = uniqueName(weightName + ".bn_folded")
        let biasOut = uniqueName((node.input(2) ?? weightName) + ".bn_folded_bias")
        add(initializer: Self.proto(name: weightsOut, Tensor(shape: weights.dims, data: values)))
        add(initializer: Self.proto(name: biasOut, Tensor(shape: [channels], data: newBias)))
        updated.input[1] = weightsOut
        if updated.input.count > 2 { updated.input[2] = biasOut } else { updated.input.append(biasOut) }
        return updated
    }

    func uniqueName(_ base: String) -> String {
        var name = base
        var counter = 1
        while initializers[name] != nil { counter += 1; name = "\(base).\(counter)" }
        return name
    }
}

import ONNXProto

/// Quantized models as onnxruntime's quantizer (and Optimum, Olive, NNCF on top of it) writes
/// them, read as the float graph they were quantized from: tunebench chooses each layer's
/// precision itself, within the accuracy limit, against that float graph.
///
/// - QDQ format: a weight's `DequantizeLinear` is folded with the constants (the int8 weights
///   become float initializers); a `QuantizeLinear` → `DequantizeLinear` pair on an activation
///   is removed (its readers read the float value), or becomes a `Relu` when its range starts
///   at 0: onnxruntime's quantizer drops a ReLU before a QuantizeLinear whose range clips it.
/// - Dynamic quantization: `DynamicQuantizeLinear` → `MatMulInteger` (constant int8 weights) →
///   `Cast` to float → `Mul` by the product of the two scales is read as one `MatMul` of the
///   float input and the dequantized weights.
extension ONNXGraphCleanup {
    mutating func removeFakeQuantization() {
        // QuantizeLinear outputs: the float value each quantizes, and whether its range starts
        // at 0 (zero point at the type's minimum): the quantizer folded a ReLU into it.
        var producers: [String: String] = [:]
        for node in nodes { for output in node.output where !output.isEmpty { producers[output] = node.opType } }
        var quantized: [String: (input: String, rectifies: Bool)] = [:]
        for node in nodes where Self.isOwnDomain(node) && node.opType == "QuantizeLinear" {
            guard let input = node.input(0), let output = node.output.first else { continue }
            // Only after an operator a ReLU could have followed: a model input, or the output of
            // a pooling, reshaping or selection of values already rectified upstream, is left as is.
            let rectifies = producers[input].map { !Self.keepsSign.contains($0) } == true && rangeStartsAtZero(node)
            quantized[output] = (input, rectifies)
        }
        guard !quantized.isEmpty else { return }
        nodes = nodes.map { node in
            guard Self.isOwnDomain(node), node.opType == "DequantizeLinear", let input = node.input(0), let source = quantized[input],
                  let output = node.output.first else { return node }
            // The pair's rounding goes; a ReLU folded into its range comes back. An Identity
            // keeps a graph output's name (the pass-through removal takes the others away).
            var replacement = Onnx_NodeProto()
            replacement.opType = source.rectifies ? "Relu" : "Identity"
            replacement.name = node.name
            replacement.input = [source.input]
            replacement.output = [output]
            report.fakeQuantizationsRemoved += 1
            if source.rectifies { report.fakeQuantizationsRectified += 1 }
            return replacement
        }
        removeUnread { $0.opType == "QuantizeLinear" }
    }

    /// Operators whose output is non-negative when their input is (or always is): a range
    /// starting at 0 after them says nothing of a dropped ReLU.
    static let keepsSign: Set<String> = [
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
        "Concat", "Slice", "Gather", "Split", "Resize", "Upsample", "Pad", "Identity", "Relu", "Sigmoid", "Softmax",
    ]

    /// Whether a QuantizeLinear's range starts at 0: its zero point is the least value of its
    /// type (uint8 0 when absent, int8 −128, …), so every negative input saturates to 0.
    private func rangeStartsAtZero(_ node: Onnx_NodeProto) -> Bool {
        guard let name = node.input(2) else { return true }
        guard let proto = initializers[name], let zero = try? numbers(name), zero.count == 1 else { return false }
        let least: Float? = switch Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) {
        case .uint8?, .uint16?: 0
        case .int8?: -128
        case .int16?: -32768
        default: nil
        }
        return least == zero[0]
    }

    mutating func readDynamicQuantization() throws {
        var producer: [String: Onnx_NodeProto] = [:]
        var readers: [String: [Onnx_NodeProto]] = [:]
        for node in nodes {
            for output in node.output where !output.isEmpty { producer[output] = node }
            for input in node.input where !input.isEmpty { readers[input, default: []].append(node) }
        }
        func onlyReader(_ name: String, _ op: String) -> Onnx_NodeProto? {
            guard !graphOutputs.contains(name), let list = readers[name], list.count == 1, list[0].opType == op,
                  Self.isOwnDomain(list[0]) else { return nil }
            return list[0]
        }
        // Rewritten MatMulIntegers: the node's name → the MatMul replacing it; and the nodes
        // the rewrite makes dead.
        var replacements: [String: Onnx_NodeProto] = [:]
        var dead: Set<String> = []
        for node in nodes where Self.isOwnDomain(node) && node.opType == "MatMulInteger" {
            guard let a = node.input(0), let b = node.input(1), let quantizer = producer[a], quantizer.opType == "DynamicQuantizeLinear",
                  quantizer.output.count >= 3, quantizer.output[0] == a, node.input(2).map({ $0 == quantizer.output[2] }) ?? true,
                  let x = quantizer.input(0), let output = node.output.first,
                  let cast = onlyReader(output, "Cast"), cast.int("to") == Int(Onnx_TensorProto.DataType.float.rawValue),
                  let castOutput = cast.output.first, let scaling = onlyReader(castOutput, "Mul"),
                  let scaleName = scaling.input.first(where: { $0 != castOutput }), let scaleProduct = producer[scaleName],
                  scaleProduct.opType == "Mul", scaleProduct.input.contains(quantizer.output[1]),
                  let weightScaleName = scaleProduct.input.first(where: { $0 != quantizer.output[1] }),
                  let weightScale = try numbers(weightScaleName), let weights = try tensor(b), weights.dims.count == 2
            else { continue }
            let (k, n) = (weights.dims[0], weights.dims[1])
            let zeroPoint = try node.input(3).map { try numbers($0) } ?? [0]
            guard let zeroPoint, [1, n].contains(zeroPoint.count), [1, n].contains(weightScale.count),
                  let values = weights.ints?.map(Float.init) ?? weights.floats else { continue }
            // W[k][n] = (q − zero point) · scale, per column where they are per column.
            var dequantized = [Float](repeating: 0, count: k * n)
            for row in 0..<k {
                for column in 0..<n {
                    let z = zeroPoint[zeroPoint.count == 1 ? 0 : column], s = weightScale[weightScale.count == 1 ? 0 : column]
                    dequantized[row * n + column] = (values[row * n + column] - z) * s
                }
            }
            let weightName = uniqueName(b + "_dequantized")
            add(initializer: Self.proto(name: weightName, Tensor(shape: [k, n], data: dequantized)))
            var matmul = Onnx_NodeProto()
            matmul.opType = "MatMul"
            matmul.name = node.name
            matmul.input = [x, weightName]
            matmul.output = scaling.output
            replacements[node.name.isEmpty ? output : node.name] = matmul
            dead.formUnion([cast, scaling].map { $0.output[0] })
            if readers[scaleName]?.count == 1 { dead.insert(scaleName) }
            report.dynamicQuantizationsRead += 1
        }
        guard !replacements.isEmpty else { return }
        nodes = nodes.compactMap { node in
            if node.opType == "MatMulInteger", let replacement = replacements[node.name.isEmpty ? node.output.first ?? "" : node.name] {
                return replacement
            }
            return node.output.contains(where: dead.contains) ? nil : node
        }
        removeUnread { $0.opType == "DynamicQuantizeLinear" }
    }

    /// Nodes matching `which` whose outputs no node and no graph output reads any more.
    private mutating func removeUnread(_ which: (Onnx_NodeProto) -> Bool) {
        let read = Set(nodes.flatMap(\.input)).union(graphOutputs)
        nodes.removeAll { node in Self.isOwnDomain(node) && which(node) && !node.output.contains { !$0.isEmpty && read.contains($0) } }
    }

    /// `nodes` reading through `replacement` (a value renamed to another).
    private static func rewired(_ nodes: [Onnx_NodeProto], _ replacement: [String: String]) -> [Onnx_NodeProto] {
        nodes.map { node in
            var node = node
            node.input = node.input.map { replacement[$0] ?? $0 }
            return node
        }
    }

    /// An initializer's values as floats (integer zero points too), nil when it is none.
    private func numbers(_ name: String) throws -> [Float]? {
        try tensor(name).flatMap { $0.floats ?? $0.ints?.map(Float.init) }
    }

    /// An initializer's decoded values, nil when the name is not an initializer.
    private func tensor(_ name: String) throws -> ONNXTensor? {
        guard let proto = initializers[name] else { return nil }
        return try ONNXTensor(proto, file: file)
    }
}

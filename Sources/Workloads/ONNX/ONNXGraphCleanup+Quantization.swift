import ONNXProto

/// Quantized models as onnxruntime's quantizer (and Optimum, Olive, NNCF on top of it) writes
/// them, read as the float graph they were quantized from: tunebench chooses each layer's
/// precision itself, within the accuracy limit, against that float graph.
///
/// - QDQ format: a weight's `DequantizeLinear` is folded with the constants (the int8 weights
///   become float initializers); a `QuantizeLinear` → `DequantizeLinear` pair on an activation
///   is removed (its readers read the float value), or becomes a `Relu` when its range starts
///   at 0: onnxruntime's quantizer drops a ReLU before a QuantizeLinear whose range clips it.
///   (`readQuantizedOperators` below does this, as for the QOperator format.)
/// - Dynamic quantization: `DynamicQuantizeLinear` → `MatMulInteger` (constant int8 weights) →
///   `Cast` to float → `Mul` by the product of the two scales is read as one `MatMul` of the
///   float input and the dequantized weights.
extension ONNXGraphCleanup {
    /// Operators whose output is non-negative when their input is (or always is): a range
    /// starting at 0 after them says nothing of a dropped ReLU.
    static let keepsSign: Set<String> = [
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
        "Concat", "Slice", "Gather", "Split", "Resize", "Upsample", "Pad", "Identity", "Relu", "Sigmoid", "Softmax",
    ]

    /// Whether a QuantizeLinear's range starts at 0: its zero point is the least value of its
    /// type (uint8 0 when absent, int8 −128, …), so every negative input saturates to 0.
    func rangeStartsAtZero(zeroPoint name: String?) -> Bool {
        guard let name else { return true }
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
    func numbers(_ name: String) throws -> [Float]? {
        try tensor(name).flatMap { $0.floats ?? $0.ints?.map(Float.init) }
    }

    /// An initializer's decoded values, nil when the name is not an initializer.
    func tensor(_ name: String) throws -> ONNXTensor? {
        guard let proto = initializers[name] else { return nil }
        return try ONNXTensor(proto, file: file)
    }
}

/// Quantized tensors read as the values they stand for: the QDQ format's activation pairs, and
/// the QOperator format (onnxruntime's `QuantFormat.QOperator`, and the ONNX model zoo's int8
/// CNNs): operators on quantized tensors (`QLinearConv`, `QLinearMatMul`, com.microsoft's
/// `QLinearAdd`, `QLinearMul`, `QGemm`, `QLinearGlobalAveragePool`, `QLinearAveragePool`,
/// `QLinearConcat`, `QLinearSigmoid`, `QLinearLeakyRelu`), read as their float operators on the
/// values the quantized tensors stand for: constant operands (weights, int32 biases)
/// dequantized, `QuantizeLinear` and `DequantizeLinear` on those values pass-throughs, and
/// operators that move values without changing them (MaxPool, Reshape, Flatten, …) kept. A
/// quantized tensor read any other way, or given out as a graph output, leaves the graph as it
/// is (its operators are then listed as unsupported).
extension ONNXGraphCleanup {
    /// Per operator: its float operator, the (value, scale, zero point) input triples, the
    /// output's zero point input (nil: a float output), and the int32 bias input.
    struct QuantizedOperator {
        var float: String
        var operands: [(value: Int, scale: Int, zero: Int)]
        var outputZero: Int?
        var bias: Int?
    }

    static let quantizedOperators: [String: QuantizedOperator] = [
        "QLinearConv": .init(float: "Conv", operands: [(0, 1, 2), (3, 4, 5)], outputZero: 7, bias: 8),
        "QLinearMatMul": .init(float: "MatMul", operands: [(0, 1, 2), (3, 4, 5)], outputZero: 7),
        "com.microsoft.QGemm": .init(float: "Gemm", operands: [(0, 1, 2), (3, 4, 5)], outputZero: 8, bias: 6),
        "com.microsoft.QLinearAdd": .init(float: "Add", operands: [(0, 1, 2), (3, 4, 5)], outputZero: 7),
        "com.microsoft.QLinearMul": .init(float: "Mul", operands: [(0, 1, 2), (3, 4, 5)], outputZero: 7),
        "com.microsoft.QLinearGlobalAveragePool": .init(float: "GlobalAveragePool", operands: [(0, 1, 2)], outputZero: 4),
        "com.microsoft.QLinearAveragePool": .init(float: "AveragePool", operands: [(0, 1, 2)], outputZero: 4),
        "com.microsoft.QLinearSigmoid": .init(float: "Sigmoid", operands: [(0, 1, 2)], outputZero: 4),
        "com.microsoft.QLinearLeakyRelu": .init(float: "LeakyRelu", operands: [(0, 1, 2)], outputZero: 4),
    ]

    /// Operators that move a quantized tensor's values without changing them.
    static let movesValues: Set<String> = ["MaxPool", "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Split", "Identity", "Gather"]

    mutating func readQuantizedOperators() throws {
        guard nodes.contains(where: { ["QuantizeLinear", "com.microsoft.QLinearConcat"].contains($0.qualifiedOperator) || Self.quantizedOperators[$0.qualifiedOperator] != nil })
        else { return }
        var producers: [String: String] = [:]
        for node in nodes { for output in node.output where !output.isEmpty { producers[output] = node.opType } }
        var values: Set<String> = []
        var rewritten: [Onnx_NodeProto] = []
        // Counted for the report once the graph is rewritten: quantized operators, activation
        // pairs, and the pairs read as a dropped Relu.
        var count = 0, pairs = 0, relus = 0
        for node in nodes {
            let op = node.qualifiedOperator
            func passThrough(_ input: String, rectify: Bool) {
                rewritten.append(Self.node(rectify ? "Relu" : "Identity", name: node.name, inputs: [input], outputs: [node.output[0]]))
                values.insert(node.output[0])
            }
            if op == "QuantizeLinear", let input = node.input(0), !node.output.isEmpty {
                // As the QDQ format's pairs: the value itself, or the Relu folded into its range.
                // Only after an operator a ReLU could have followed: a model input, or a pooling,
                // reshaping or selection of values already rectified upstream, is left as is.
                let rectify = producers[input].map { !Self.keepsSign.contains($0) } == true && rangeStartsAtZero(zeroPoint: node.input(2))
                passThrough(input, rectify: rectify)
                if rectify { relus += 1 }
            } else if op == "DequantizeLinear", let input = node.input(0), values.contains(input), !node.output.isEmpty {
                // An Identity keeps a graph output's name; the pass-through removal takes the others.
                rewritten.append(Self.node("Identity", name: node.name, inputs: [input], outputs: [node.output[0]]))
                pairs += 1
            } else if let spec = Self.quantizedOperators[op] ?? (op == "com.microsoft.QLinearConcat" ? Self.concatSpec(node) : nil) {
                guard let (float, initializers) = try floatNode(node, spec, values: values) else { return }
                // Added now, so that the next node's names stay unique; unread ones (when the
                // graph is left as it is) are not written back.
                for proto in initializers { add(initializer: proto) }
                let rectify = spec.outputZero.flatMap { node.input($0) } != nil && !Self.keepsSign.contains(spec.float)
                    && rangeStartsAtZero(zeroPoint: spec.outputZero.flatMap { node.input($0) })
                if rectify {
                    var inner = float
                    inner.output = [uniqueName(node.output[0] + "_float")]
                    rewritten.append(inner)
                    rewritten.append(Self.node("Relu", name: node.name + "_relu", inputs: inner.output, outputs: [node.output[0]]))
                } else {
                    rewritten.append(float)
                }
                if spec.outputZero.flatMap({ node.input($0) }) != nil { values.insert(node.output[0]) }
                count += 1
            } else if Self.isOwnDomain(node), Self.movesValues.contains(node.opType), let input = node.input(0), values.contains(input) {
                rewritten.append(node)
                values.formUnion(node.output.filter { !$0.isEmpty })
            } else if node.input.contains(where: values.contains) {
                return  // a quantized tensor's codes read as numbers: not a graph this reads
            } else {
                rewritten.append(node)
            }
        }
        // A graph output that is a quantized tensor gives out codes, not the values read here.
        guard graphOutputs.isDisjoint(with: values) else { return }
        nodes = rewritten
        (report.quantizedOperatorsRead, report.fakeQuantizationsRemoved, report.fakeQuantizationsRectified) = (count, pairs, relus)
    }

    /// QLinearConcat: output scale and zero point first, then a triple per input.
    static func concatSpec(_ node: Onnx_NodeProto) -> QuantizedOperator {
        let triples = (node.input.count - 2) / 3
        return QuantizedOperator(float: "Concat", operands: (0..<triples).map { (2 + 3 * $0, 3 + 3 * $0, 4 + 3 * $0) }, outputZero: 1)
    }

    /// The float operator of a quantized one: operands that are quantized values read as
    /// they are, constant ones dequantized into new initializers (weights per output channel,
    /// an int32 bias at the input scale times the weight scale); nil when an operand is neither.
    private func floatNode(_ node: Onnx_NodeProto, _ spec: QuantizedOperator, values: Set<String>) throws -> (Onnx_NodeProto, [Onnx_TensorProto])? {
        var inputs: [String] = []
        var added: [Onnx_TensorProto] = []
        var scales: [[Float]] = []
        for (position, operand) in spec.operands.enumerated() {
            guard let name = node.input(operand.value), let scale = try node.input(operand.scale).flatMap({ try numbers($0) }) else { return nil }
            scales.append(scale)
            if values.contains(name) {
                inputs.append(name)
                continue
            }
            guard let codes = try tensor(name) else { return nil }
            let zero = try node.input(operand.zero).flatMap { try numbers($0) } ?? [0]
            // Per output channel: a Conv's weight on axis 0, a MatMul's on its last, a Gemm's
            // on 0 with transB (else 1).
            let axis = spec.float == "Conv" ? 0 : spec.float == "Gemm" ? (node.int("transB") == 1 ? 0 : 1) : codes.dims.count - 1
            let tensor = Tensor(codes)
            let dequantized = try ReferenceOperators.dequantizeLinear(Self.node("DequantizeLinear", name: "", inputs: [], outputs: [], axis: axis), tensor,
                                                                     scale: Tensor(shape: [scale.count], data: scale),
                                                                     zeroPoint: Tensor(shape: [zero.count], data: zero))
            let floatName = uniqueName(name + "_dequantized_\(position)")
            added.append(Self.proto(name: floatName, dequantized))
            inputs.append(floatName)
        }
        if let slot = spec.bias, let name = node.input(slot) {
            // The int32 bias's scale is the input's times the weight's (per output channel).
            guard let codes = try tensor(name), scales.count == 2, scales[0].count == 1,
                  let values = codes.ints?.map(Float.init) ?? codes.floats, [1, values.count].contains(scales[1].count),
                  node.float("alpha") ?? 1 == 1 else { return nil }
            let bias = values.indices.map { values[$0] * scales[0][0] * scales[1][scales[1].count == 1 ? 0 : $0] }
            let floatName = uniqueName(name + "_dequantized")
            added.append(Self.proto(name: floatName, Tensor(shape: codes.dims, data: bias)))
            inputs.append(floatName)
        }
        var float = Self.node(spec.float, name: node.name, inputs: inputs, outputs: [node.output[0]])
        float.attribute = node.attribute.filter { $0.name != "channels_last" }
        guard node.int("channels_last") ?? 0 == 0 else { return nil }
        return (float, added)
    }

    static func node(_ op: String, name: String, inputs: [String], outputs: [String], axis: Int? = nil) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = outputs
        if let axis { node.attribute = [.int("axis", axis)] }
        return node
    }
}

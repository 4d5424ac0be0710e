import ONNXProto

/// Shape rules of the ONNX operators that MLPs, CNNs and transformer exports use (the
/// operator reference at onnx.ai), with integer constant folding for shape arithmetic.
/// `outputs` returns nil for an operator it has no rule for.
public enum ONNXOperatorShapes {
    static let sameShape: Set<String> = [
        "Relu", "Gelu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Softmax", "LogSoftmax",
        "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Mish", "Clip", "Floor", "Ceil",
        "Round", "Sign", "Sin", "Cos", "Tan", "Atan", "Not", "IsNaN", "IsInf", "ThresholdedRelu", "BatchNormalization", "InstanceNormalization",
        "GroupNormalization", "RMSNormalization", "LayerNormalization", "Dropout", "LRN", "LpNormalization", "MeanVarianceNormalization",
        "Trilu", "CumSum",
    ]
    static let broadcasting: Set<String> = [
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
        "And", "Or", "Xor", "Where", "Sum", "Mean", "PRelu",
    ]
    static let reductions: Set<String> = [
        "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp",
    ]

    /// Operators with a rule in `outputs` besides the three sets above.
    static let others: Set<String> = Set([
        "Identity", "Cast", "CastLike", "MatMul", "Gemm", "Conv", "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool",
        "GlobalMaxPool", "Flatten", "Reshape", "Transpose", "Unsqueeze", "Squeeze", "Concat", "Shape", "Size", "Gather", "Slice",
        "Split", "Expand", "ConstantOfShape", "Constant", "Resize", "Upsample", "ConvTranspose", "Range", "Pad", "DequantizeLinear",
    ]).union(rearranging)

    static func hasRule(_ node: Onnx_NodeProto) -> Bool {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return false }
        return [sameShape, broadcasting, reductions, others].contains { $0.contains(node.opType) }
    }

    public static func outputs(of node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws -> [ONNXValue?]? {
        guard hasRule(node) else { return nil }
        func input(_ index: Int) throws -> ONNXValue {
            guard index < inputs.count, let value = inputs[index] else { throw ONNXShapeError("input \(index) is missing") }
            return value
        }
        let op = node.opType
        if sameShape.contains(op) {
            let x = try input(0)
            // Values pass through Dropout only; shape inference computes other operators' integers.
            let output = op == "Dropout" ? x : ONNXValue(shape: x.shape)
            return [output] + Array(repeating: op == "Dropout" ? x : nil, count: max(0, node.output.count - 1))
        }
        if broadcasting.contains(op) {
            let present = inputs.compactMap { $0 }
            var shape: [Int] = []
            for value in present { shape = try broadcast(shape, value.shape) }
            return [ONNXValue(shape: shape, ints: foldArithmetic(op, present))]
        }
        if reductions.contains(op) {
            let x = try input(0)
            let axes = try reductionAxes(node, inputs: inputs, opset: opset)
            guard let axes else { return [x] }
            return [try reduce(x, axes: axes, keep: node.int("keepdims") ?? 1 == 1)]
        }
        switch op {
        case "Identity", "Cast", "CastLike":
            return [try input(0)]
        case "DequantizeLinear":
            // Floats of the input's shape: its integers are quantized values, not shape arithmetic.
            return [ONNXValue(shape: try input(0).shape)]
        case "MatMul":
            return [ONNXValue(shape: try matmulShape(try input(0).shape, try input(1).shape))]
        case "Gemm":
            let (a, b) = (try input(0).shape, try input(1).shape)
            guard a.count == 2, b.count == 2 else { throw ONNXShapeError("Gemm needs 2-D A and B, got \(a) and \(b)") }
            let (m, ka) = node.int("transA") ?? 0 == 1 ? (a[1], a[0]) : (a[0], a[1])
            let (kb, n) = node.int("transB") ?? 0 == 1 ? (b[1], b[0]) : (b[0], b[1])
            guard ka == kb else { throw ONNXShapeError("inner dimensions differ: A \(a), B \(b)") }
            return [ONNXValue(shape: [m, n])]
        case "Conv", "MaxPool", "AveragePool", "LpPool":
            return [ONNXValue(shape: try ONNXWindow(node: node, input: try input(0).shape, weight: op == "Conv" ? try input(1).shape : nil).outputShape)]
                + Array(repeating: nil, count: max(0, node.output.count - 1))
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try input(0).shape
            guard x.count >= 3 else { throw ONNXShapeError("needs an N x C x spatial input, got \(x)") }
            return [ONNXValue(shape: Array(x.prefix(2)) + Array(repeating: 1, count: x.count - 2))]
        case "Flatten":
            let x = try input(0).shape
            let axis = try normalize(node.int("axis") ?? 1, rank: x.count + 1)
            return [ONNXValue(shape: [x.prefix(axis).reduce(1, *), x.dropFirst(axis).reduce(1, *)])]
        case "Reshape":
            let x = try input(0)
            guard let target = try input(1).ints else { throw ONNXShapeError("the target shape is not a constant") }
            let shape = try reshape(x.shape, to: target.map(Int.init), allowZero: node.int("allowzero") ?? 0 == 1)
            return [ONNXValue(shape: shape, ints: x.ints)]
        case "Transpose":
            let x = try input(0).shape
            let perm = node.ints("perm") ?? Array((0..<x.count).reversed())
            guard perm.sorted() == Array(0..<x.count) else { throw ONNXShapeError("perm \(perm) is not a permutation of \(x.count) axes") }
            return [ONNXValue(shape: perm.map { x[$0] })]
        case "Unsqueeze":
            let x = try input(0)
            guard let axes = opset >= 13 ? try input(1).ints.map({ $0.map(Int.init) }) : node.ints("axes") else { throw ONNXShapeError("axes are not a constant") }
            let rank = x.shape.count + axes.count
            let normalized = Set(try axes.map { try normalize($0, rank: rank) })
            var shape: [Int] = []
            var source = x.shape.makeIterator()
            for axis in 0..<rank { shape.append(normalized.contains(axis) ? 1 : source.next() ?? 1) }
            return [ONNXValue(shape: shape, ints: x.ints)]
        case "Squeeze":
            let x = try input(0)
            let axes = opset >= 13 ? inputs.count > 1 ? try input(1).ints.map { $0.map(Int.init) } : nil : node.ints("axes")
            let removed = Set(try (axes ?? x.shape.indices.filter { x.shape[$0] == 1 }).map { try normalize($0, rank: x.shape.count) })
            return [ONNXValue(shape: x.shape.indices.filter { !removed.contains($0) }.map { x.shape[$0] }, ints: x.ints)]
        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard let first = parts.first else { throw ONNXShapeError("no inputs") }
            let axis = try normalize(node.int("axis") ?? 0, rank: first.shape.count)
            var shape = first.shape
            shape[axis] = parts.reduce(0) { $0 + ($1.shape.count == first.shape.count ? $1.shape[axis] : 0) }
            let ints = first.shape.count == 1 && parts.allSatisfy({ $0.ints != nil }) ? parts.flatMap { $0.ints! } : nil
            return [ONNXValue(shape: shape, ints: ints)]
        case "Shape":
            let x = try input(0).shape
            let start = try clampIndex(node.int("start") ?? 0, rank: x.count)
            let end = try clampIndex(node.int("end") ?? x.count, rank: x.count)
            let dims = start < end ? Array(x[start..<end]) : []
            return [ONNXValue(shape: [dims.count], ints: dims.map(Int64.init))]
        case "Size":
            return [ONNXValue(shape: [], ints: [Int64(try input(0).count)])]
        case "Gather":
            return [try gather(try input(0), indices: try input(1), axis: node.int("axis") ?? 0)]
        case "Slice":
            return [try slice(node: node, inputs: inputs, opset: opset)]
        case "Split":
            return try split(node: node, inputs: inputs, opset: opset)
        case "Expand":
            guard let target = try input(1).ints else { throw ONNXShapeError("the target shape is not a constant") }
            return [ONNXValue(shape: try broadcast(try input(0).shape, target.map(Int.init)))]
        case "ConstantOfShape":
            guard let target = try input(0).ints else { throw ONNXShapeError("the shape is not a constant") }
            return [ONNXValue(shape: target.map(Int.init))]
        case "Constant":
            return [try constant(node)]
        case "Pad":
            return [ONNXValue(shape: try ONNXPad(node: node, inputs: inputs, opset: opset).outputShape)]
        case "Resize", "Upsample":
            return [ONNXValue(shape: try ONNXResize(node: node, inputs: inputs, opset: opset).outputShape)]
        case "ConvTranspose":
            return [ONNXValue(shape: try ONNXTransposedWindow(node: node, input: try input(0).shape, weight: try input(1).shape).outputShape)]
        case let op where rearranging.contains(op):
            return [try rearrangedShape(node, inputs: inputs)]
        case "Range":
            let (start, limit, delta) = (try input(0), try input(1), try input(2))
            if let a = start.ints?.first, let b = limit.ints?.first, let d = delta.ints?.first, d != 0 {
                return [ONNXValue(shape: [try rangeCount(Double(b) - Double(a), delta: Double(d))])]
            }
            guard let a = start.floats?.first, let b = limit.floats?.first, let d = delta.floats?.first, d != 0 else {
                throw ONNXShapeError("start, limit and delta are not constants")
            }
            return [ONNXValue(shape: [try rangeCount(Double(b) - Double(a), delta: Double(d))])]
        default:
            return nil
        }
    }

    static func normalize(_ axis: Int, rank: Int) throws -> Int {
        let normalized = axis < 0 ? axis + rank : axis
        guard (0..<max(rank, 1)).contains(normalized) else { throw ONNXShapeError("axis \(axis) is out of range for rank \(rank)") }
        return normalized
    }

    private static func clampIndex(_ index: Int, rank: Int) throws -> Int {
        min(max(index < 0 ? index + rank : index, 0), rank)
    }

    /// Numpy broadcasting.
    static func broadcast(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        return try zip(pa, pb).map { x, y in
            guard x == y || x == 1 || y == 1 else { throw ONNXShapeError("shapes \(a) and \(b) do not broadcast") }
            return x == 1 ? y : x
        }
    }

    /// Numpy matmul: 1-D operands promoted and dropped again, batch dimensions broadcast.
    static func matmulShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        guard !a.isEmpty, !b.isEmpty else { throw ONNXShapeError("MatMul operands must not be scalars") }
        let pa = a.count == 1 ? [1] + a : a
        let pb = b.count == 1 ? b + [1] : b
        guard pa[pa.count - 1] == pb[pb.count - 2] else { throw ONNXShapeError("inner dimensions differ: \(a) x \(b)") }
        var shape = try broadcast(Array(pa.dropLast(2)), Array(pb.dropLast(2))) + [pa[pa.count - 2], pb[pb.count - 1]]
        if b.count == 1 { shape.removeLast() }
        if a.count == 1 { shape.remove(at: shape.count - (b.count == 1 ? 1 : 2)) }
        return shape
    }

    private static func foldArithmetic(_ op: String, _ values: [ONNXValue]) -> [Int64]? {
        guard values.count == 2, let a = values[0].ints, let b = values[1].ints, !a.isEmpty, !b.isEmpty,
              a.count == b.count || a.count == 1 || b.count == 1 else { return nil }
        let count = max(a.count, b.count)
        let f: ((Int64, Int64) -> Int64)?
        switch op {
        case "Add": f = (+)
        case "Sub": f = (-)
        case "Mul": f = (*)
        case "Div": f = { $1 == 0 ? 0 : $0 / $1 }
        default: f = nil
        }
        guard let f else { return nil }
        return (0..<count).map { f(a[a.count == 1 ? 0 : $0], b[b.count == 1 ? 0 : $0]) }
    }

    /// The normalized axes a reduction reduces (attribute before opset 18, input from 18 on and
    /// for ReduceSum from 13); every axis when none are given, nil when it is a no-op
    /// (noop_with_empty_axes with no axes).
    static func reductionAxes(_ node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws -> [Int]? {
        guard let x = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        let fromInput = node.opType == "ReduceSum" && opset >= 13 || opset >= 18
        var axes: [Int]?
        if fromInput {
            if inputs.count > 1, let given = inputs[1] {
                guard let ints = given.ints else { throw ONNXShapeError("axes are not a constant") }
                axes = ints.map { Int(clamping: $0) }
            }
        } else {
            axes = node.ints("axes")
        }
        if (axes ?? []).isEmpty {
            return node.int("noop_with_empty_axes") ?? 0 == 1 ? nil : Array(x.shape.indices)
        }
        return try Array(Set(axes!.map { try normalize($0, rank: x.shape.count) })).sorted()
    }

    private static func reduce(_ x: ONNXValue, axes: [Int], keep: Bool) throws -> ONNXValue {
        let reduced = Set(axes)
        var shape: [Int] = []
        for (axis, size) in x.shape.enumerated() {
            if !reduced.contains(axis) { shape.append(size) } else if keep { shape.append(1) }
        }
        return ONNXValue(shape: shape)
    }

    static func reshape(_ shape: [Int], to target: [Int], allowZero: Bool) throws -> [Int] {
        var result = try target.enumerated().map { axis, size -> Int in
            if size == 0 && !allowZero {
                guard axis < shape.count else { throw ONNXShapeError("target \(target) copies axis \(axis) of a rank-\(shape.count) input") }
                return shape[axis]
            }
            return size
        }
        let count = shape.saturatingProduct
        let inferred = result.indices.filter { result[$0] == -1 }
        guard inferred.count <= 1, result.allSatisfy({ $0 >= -1 }) else { throw ONNXShapeError("invalid target shape \(target)") }
        if let axis = inferred.first {
            let known = result.enumerated().filter { $0.offset != axis }.map(\.element).saturatingProduct
            guard known > 0, count % known == 0 else { throw ONNXShapeError("cannot reshape \(shape) to \(target)") }
            result[axis] = count / known
        }
        guard result.saturatingProduct == count else { throw ONNXShapeError("cannot reshape \(shape) (\(count) elements) to \(target)") }
        return result
    }

    private static func gather(_ data: ONNXValue, indices: ONNXValue, axis: Int) throws -> ONNXValue {
        let axis = try normalize(axis, rank: data.shape.count)
        let shape = Array(data.shape.prefix(axis)) + indices.shape + Array(data.shape.dropFirst(axis + 1))
        var ints: [Int64]?
        if data.shape.count == 1, let values = data.ints, let picks = indices.ints {
            ints = picks.map { Int($0) < 0 ? Int($0) + values.count : Int($0) }.map { values.indices.contains($0) ? values[$0] : 0 }
        }
        return ONNXValue(shape: shape, ints: ints)
    }

    private static func slice(node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws -> ONNXValue {
        guard let data = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        let selection = try sliceSelection(node: node, inputs: inputs, opset: opset)
        var ints: [Int64]?
        if let values = data.ints, data.shape.count == 1 { ints = selection[0].map { values[$0] } }
        return ONNXValue(shape: selection.map(\.count), ints: ints)
    }

    /// The indices a Slice keeps along each axis of its input (every index of an axis it does
    /// not slice), with starts and ends clamped as the operator reference says.
    package static func sliceSelection(node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws -> [[Int]] {
        guard let data = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        func constant(_ index: Int) throws -> [Int]? {
            guard index < inputs.count, let value = inputs[index] else { return nil }
            guard let ints = value.ints else { throw ONNXShapeError("input \(index) is not a constant") }
            return ints.map { Int(clamping: $0) }
        }
        let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
        if opset < 10 {
            starts = node.ints("starts") ?? []
            ends = node.ints("ends") ?? []
            axes = node.ints("axes") ?? Array(0..<starts.count)
            steps = Array(repeating: 1, count: starts.count)
        } else {
            starts = try constant(1) ?? []
            ends = try constant(2) ?? []
            axes = try constant(3) ?? Array(0..<starts.count)
            steps = try constant(4) ?? Array(repeating: 1, count: starts.count)
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count, !steps.contains(0) else {
            throw ONNXShapeError("starts, ends, axes and steps differ in length (or a step is 0)")
        }
        var selection = data.shape.map { Array(0..<$0) }
        for i in starts.indices {
            let axis = try normalize(axes[i], rank: data.shape.count)
            let size = data.shape[axis]
            let step = steps[i]
            func clamp(_ v: Int) -> Int {
                let v = v < 0 ? v + size : v
                return step > 0 ? min(max(v, 0), size) : min(max(v, -1), size - 1)
            }
            selection[axis] = Array(stride(from: clamp(starts[i]), to: clamp(ends[i]), by: step))
        }
        return selection
    }

    /// Range's element count, ceil(span / delta), computed in doubles (limit - start overflows
    /// 64-bit integers for hostile constants) and refused past what memory holds.
    package static func rangeCount(_ span: Double, delta: Double) throws -> Int {
        let count = (span / delta).rounded(.up)
        guard !count.isNaN else { throw ONNXShapeError("Range start, limit and delta are not finite") }
        guard count <= Double(ONNXShapeInference.largestValue) else {
            throw ONNXShapeError(String(format: "Range of %.3g values is larger than this machine's memory", count))
        }
        return Int(Swift.max(0, count))
    }

    package static func split(node: Onnx_NodeProto, inputs: [ONNXValue?], opset: Int) throws -> [ONNXValue?] {
        guard let data = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        let axis = try normalize(node.int("axis") ?? 0, rank: data.shape.count)
        let size = data.shape[axis]
        var parts: [Int]
        if opset >= 13, inputs.count > 1, let given = inputs[1] {
            guard let ints = given.ints else { throw ONNXShapeError("split sizes are not a constant") }
            parts = ints.map(Int.init)
        } else if opset < 13, let given = node.ints("split") {
            parts = given
        } else {
            let count = node.int("num_outputs") ?? node.output.count
            let chunk = (size + count - 1) / max(count, 1)
            parts = (0..<count).map { min(chunk, max(0, size - $0 * chunk)) }
        }
        // Each part within the axis first: a sum of hostile sizes would overflow.
        guard parts.allSatisfy({ (0...size).contains($0) }), parts.reduce(0, +) == size else {
            throw ONNXShapeError("split sizes \(parts) do not add up to \(size)")
        }
        return parts.map { part in
            var shape = data.shape
            shape[axis] = part
            return ONNXValue(shape: shape)
        }
    }

    private static func constant(_ node: Onnx_NodeProto) throws -> ONNXValue {
        if let tensor = node.attribute("value")?.t {
            let dims = tensor.dims.map { Int($0) }
            var value = ONNXValue(shape: dims)
            if dims.saturatingProduct <= ONNXShapeInference.constantLimit, let decoded = try? ONNXTensor(tensor, modelPath: "") {
                value.floats = decoded.floats
            }
            let type = Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType))
            if type == .int64 || type == .int32 {
                let raw = tensor.rawData
                if type == .int64 {
                    value.ints = raw.isEmpty ? tensor.int64Data : raw.withUnsafeBytes { bytes in
                        (0..<raw.count / 8).map { Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                    }
                } else {
                    value.ints = raw.isEmpty ? tensor.int32Data.map(Int64.init) : raw.withUnsafeBytes { bytes in
                        (0..<raw.count / 4).map { Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
                    }
                }
            }
            return value
        }
        if let value = node.attribute("value_int") { return ONNXValue(shape: [], ints: [value.i]) }
        if let values = node.attribute("value_ints") { return ONNXValue(shape: [values.ints.count], ints: values.ints) }
        if let value = node.attribute("value_float") { return ONNXValue(shape: [], floats: [value.f]) }
        if let values = node.attribute("value_floats") { return ONNXValue(shape: [values.floats.count], floats: values.floats) }
        throw ONNXShapeError("Constant without a value, value_int(s) or value_float(s) attribute")
    }
}

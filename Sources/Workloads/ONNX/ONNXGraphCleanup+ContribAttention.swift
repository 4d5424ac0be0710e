import ONNXProto

/// onnxruntime's fused BERT operators (what its transformer optimizer makes of attention and
/// embeddings, as in BERT-family models that Optimum exported with `--optimize` before
/// transformers 5), written out in standard operators: the QKV projection becomes a GEMM layer
/// with its bias again, and the attention the pattern the model engine fuses.
/// - com.microsoft `Attention(input, weights, bias?, mask_index?)`: one projection to Q, K and
///   V (`qkv_hidden_sizes`, or three equal parts), `num_heads` heads, scores scaled by `scale`
///   (1/√head size) plus `mask_filter_value` (−10000) where the mask masks a key: a [B, T]
///   mask of 0s and 1s, or [B] counts of the keys kept from the left; `unidirectional` masks
///   later keys. With a past, a relative position bias, rotary embeddings or another mask form
///   it stays as it is (listed as unsupported).
/// - com.microsoft `EmbedLayerNormalization(ids, segment ids?, word, position, segment
///   embeddings?, γ, β, mask?, position ids?)`: the three lookups summed, then LayerNorm; its
///   mask index output is the number of ones per row of the mask.
extension ONNXGraphCleanup {
    /// The standard operators for `node` when it is one of these; nil otherwise.
    mutating func standardAttention(of node: Onnx_NodeProto, isRead: (String) -> Bool, fresh: @escaping (String) -> String) -> [Onnx_NodeProto]? {
        guard node.domain == "com.microsoft", let output = node.output.first, !output.isEmpty else { return nil }
        var builder = Builder(name: node.name.isEmpty ? output : node.name, opset: file.opset, fresh: fresh)
        switch node.opType {
        case "Attention": return attention(node, output: output, &builder)
        case "EmbedLayerNormalization": return embedding(node, output: output, isRead: isRead, &builder)
        default: return nil
        }
    }

    /// Nodes in order, with constants made initializers and intermediate names made fresh.
    struct Builder {
        let name: String
        let opset: Int
        let fresh: (String) -> String
        var nodes: [Onnx_NodeProto] = []
        var constants: [Onnx_TensorProto] = []

        mutating func add(_ op: String, _ inputs: [String], output: String? = nil, _ attributes: [Onnx_AttributeProto] = []) -> String {
            let out = output ?? fresh("\(name)/\(op)")
            var node = Onnx_NodeProto()
            node.opType = op
            node.name = "\(name)/\(op)_\(nodes.count)"
            node.input = inputs
            node.output = [out]
            node.attribute = attributes
            nodes.append(node)
            return out
        }

        mutating func ints(_ values: [Int64], scalar: Bool = false) -> String {
            let constant = fresh("\(name)/const")
            constants.append(Onnx_TensorProto.with {
                $0.name = constant
                $0.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
                $0.dims = scalar ? [] : [Int64(values.count)]
                $0.int64Data = values
            })
            return constant
        }

        mutating func float(_ value: Float) -> String {
            let constant = fresh("\(name)/const")
            constants.append(Onnx_TensorProto.with { $0.name = constant; $0.dataType = 1; $0.dims = []; $0.floatData = [value] })
            return constant
        }

        /// Unsqueeze with its axes as an input (opset 13 on) or an attribute (before).
        mutating func unsqueeze(_ x: String, axes: [Int64]) -> String {
            opset >= 13 ? add("Unsqueeze", [x, ints(axes)]) : add("Unsqueeze", [x], [.ints("axes", axes.map(Int.init))])
        }

        /// Dimension `axis` of `x` as a scalar.
        mutating func dimension(_ x: String, _ axis: Int64) -> String {
            add("Gather", [add("Shape", [x]), ints([axis], scalar: true)], [.int("axis", 0)])
        }

        /// 0, 1, …, count − 1.
        mutating func range(_ count: String) -> String {
            add("Range", [ints([0], scalar: true), count, ints([1], scalar: true)])
        }
    }

    private mutating func attention(_ node: Onnx_NodeProto, output: String, _ b: inout Builder) -> [Onnx_NodeProto]? {
        // Past, relative position bias, past length: not written out.
        guard let x = node.input(0), let weights = node.input(1), node.input.count <= 4 || node.input.dropFirst(4).allSatisfy(\.isEmpty),
              node.output.dropFirst().allSatisfy({ $0.isEmpty }), (node.int("do_rotary") ?? 0) == 0, (node.int("past_present_share_buffer") ?? 0) == 0,
              let heads = node.int("num_heads"), heads > 0, let weightDims = initializers[weights]?.dims, weightDims.count == 2 else { return nil }
        let total = Int(weightDims[1])
        let sizes = node.ints("qkv_hidden_sizes") ?? [total / 3, total / 3, total / 3]
        guard sizes.count == 3, sizes.reduce(0, +) == total, sizes.allSatisfy({ $0 > 0 && $0 % heads == 0 }), sizes[0] == sizes[1] else { return nil }
        // The mask: [B] counts or [B, T] 0s and 1s, judged by the rank it is declared with (or
        // as EmbedLayerNormalization's mask index, which is [B]).
        let mask = node.input(3)
        var maskRank: Int?
        if let mask {
            let fromEmbedding = nodes.contains { $0.domain == "com.microsoft" && $0.opType == "EmbedLayerNormalization" && $0.output.count > 1 && $0.output[1] == mask }
            maskRank = fromEmbedding ? 1 : initializers[mask].map(\.dims.count) ?? (file.graph.input + file.graph.valueInfo).first { $0.name == mask }
                .flatMap { $0.type.tensorType.hasShape ? $0.type.tensorType.shape.dim.count : nil }
            guard maskRank == 1 || maskRank == 2 else { return nil }
        }
        let headSize = sizes[0] / heads
        let filter = node.float("mask_filter_value") ?? -10_000
        let scale = node.float("scale") ?? 1 / Float(headSize).squareRoot()

        var projected = b.add("MatMul", [x, weights])
        if let bias = node.input(2) { projected = b.add("Add", [projected, bias]) }
        let parts = (0..<3).map { _ in b.fresh("\(b.name)/part") }
        var split = Onnx_NodeProto()
        split.opType = "Split"
        split.name = "\(b.name)/Split"
        split.output = parts
        let sizes64 = sizes.map(Int64.init)
        if b.opset >= 13 {
            split.input = [projected, b.ints(sizes64)]
            split.attribute = [.int("axis", -1)]
        } else {
            split.input = [projected]
            split.attribute = [.int("axis", -1), .ints("split", sizes)]
        }
        b.nodes.append(split)
        func perHead(_ part: String, width: Int, perm: [Int]) -> String {
            let shaped = b.add("Reshape", [part, b.ints([0, 0, Int64(heads), Int64(width / heads)])])
            return b.add("Transpose", [shaped], [.ints("perm", perm)])
        }
        let q = perHead(parts[0], width: sizes[0], perm: [0, 2, 1, 3])
        let kt = perHead(parts[1], width: sizes[1], perm: [0, 2, 3, 1])
        let v = perHead(parts[2], width: sizes[2], perm: [0, 2, 1, 3])
        var scores = b.add("Mul", [b.add("MatMul", [q, kt]), b.float(scale)])
        // The additive mask: mask_filter_value where a key is masked, summed over the masks given.
        var additive: String?
        if let mask, let maskRank {
            var keep: String
            if maskRank == 1 {
                // Keys 0 ..< count kept.
                let keys = b.range(b.dimension(parts[1], 1))
                keep = b.add("Less", [b.unsqueeze(keys, axes: [0]), b.unsqueeze(b.add("Cast", [mask], [.int("to", 7)]), axes: [1])])
            } else {
                keep = mask
            }
            keep = b.add("Cast", [keep], [.int("to", 1)])
            let masked = b.add("Mul", [b.add("Sub", [b.float(1), keep]), b.float(filter)])
            additive = b.unsqueeze(masked, axes: [1, 2])
        }
        if (node.int("unidirectional") ?? 0) == 1 {
            let positions = b.range(b.dimension(parts[0], 1))
            let later = b.add("Greater", [b.unsqueeze(positions, axes: [0]), b.unsqueeze(positions, axes: [1])])
            let causal = b.add("Mul", [b.add("Cast", [later], [.int("to", 1)]), b.float(filter)])
            additive = additive.map { b.add("Add", [$0, causal]) } ?? causal
        }
        if let additive { scores = b.add("Add", [scores, additive]) }
        let probabilities = b.add("Softmax", [scores], [.int("axis", 3)])
        let context = b.add("Transpose", [b.add("MatMul", [probabilities, v])], [.ints("perm", [0, 2, 1, 3])])
        _ = b.add("Reshape", [context, b.ints([0, 0, Int64(sizes[2])])], output: output)
        for constant in b.constants { add(initializer: constant) }
        return b.nodes
    }

    private mutating func embedding(_ node: Onnx_NodeProto, output: String, isRead: (String) -> Bool, _ b: inout Builder) -> [Onnx_NodeProto]? {
        guard let ids = node.input(0), let word = node.input(2), let position = node.input(3), let gamma = node.input(5), let beta = node.input(6)
        else { return nil }
        let maskIndex = node.output.count > 1 && !node.output[1].isEmpty && isRead(node.output[1]) ? node.output[1] : nil
        // Without a mask, onnxruntime's mask index is not defined by the mask: left as it is.
        if maskIndex != nil && node.input(7) == nil { return nil }
        var sum = b.add("Add", [b.add("Gather", [word, ids]), b.add("Gather", [position, node.input(8) ?? b.range(b.dimension(ids, 1))])])
        if let segments = node.input(1), let table = node.input(4) { sum = b.add("Add", [sum, b.add("Gather", [table, segments])]) }
        if node.output.count > 2, !node.output[2].isEmpty { sum = b.add("Identity", [sum], output: node.output[2]) }
        let epsilon = Onnx_AttributeProto.float("epsilon", node.float("epsilon") ?? 1e-12)
        _ = b.add("LayerNormalization", [sum, gamma, beta], output: output, [epsilon])
        if let maskIndex, let mask = node.input(7) {
            let counted = b.add("ReduceSum", b.opset >= 13 ? [b.add("Cast", [mask], [.int("to", 7)]), b.ints([1])]
                                    : [b.add("Cast", [mask], [.int("to", 7)])],
                                (b.opset >= 13 ? [] : [.ints("axes", [1])]) + [.int("keepdims", 0)])
            _ = b.add("Cast", [counted], output: maskIndex, [.int("to", 6)])
        }
        for constant in b.constants { add(initializer: constant) }
        return b.nodes
    }
}

import ONNXProto

// Operators that move or select values by position: GatherElements (token type ids of
// torch-exported BERTs), GatherND (causal masks of dynamo exports with a dynamic sequence), Tile and Trilu (causal masks), CumSum (position ids from a padding
// mask), ArgMax/ArgMin (classifier and decoding heads), DepthToSpace/SpaceToDepth
// (super-resolution, YOLO stems). Output shapes come from the import's shape rules, so the two
// cannot disagree; integer inputs give integer outputs.
extension ReferenceOperators {
    static let rearrangeOperators: Set<String> = ["GatherElements", "GatherND", "Tile", "Trilu", "CumSum", "ArgMax", "ArgMin", "DepthToSpace", "SpaceToDepth"]

    static func rearrange(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> Tensor {
        guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
        let shape: [Int]
        do {
            guard let outputs = try ONNXOperatorShapes.outputs(of: node, inputs: inputs.map { $0?.value }, opset: opset), let first = outputs.first ?? nil else {
                throw Failure(message: "no shape rule")
            }
            shape = first.shape
        } catch let error as ONNXShapeError {
            throw Failure(message: error.message)
        }
        let count = shape.reduce(1, *)
        switch node.opType {
        case "GatherElements", "GatherND", "Tile", "DepthToSpace", "SpaceToDepth":
            // Each output element copies one input element: compute where it comes from.
            let sources = try sourceIndices(node, x: x, inputs: inputs, shape: shape)
            var result = Tensor(shape: shape, data: sources.map { x.data[$0] })
            if let ints = x.ints { result.ints = sources.map { ints[$0] } }
            return result
        case "Trilu":
            let diagonal = inputs.count > 1 ? Int(inputs[1]?.ints?.first ?? 0) : 0
            let upper = node.int("upper") ?? 1 == 1
            guard x.shape.count >= 2 else { throw Failure(message: "Trilu needs a matrix, got \(x.shape)") }
            let (rows, columns) = (x.shape[x.shape.count - 2], x.shape[x.shape.count - 1])
            let keep = (0..<count).map { index -> Bool in
                let (row, column) = ((index / columns) % rows, index % columns)
                return upper ? column - row >= diagonal : column - row <= diagonal
            }
            var result = Tensor(shape: shape, data: x.data.indices.map { keep[$0] ? x.data[$0] : 0 })
            if let ints = x.ints { result.ints = ints.indices.map { keep[$0] ? ints[$0] : 0 } }
            return result
        case "CumSum":
            guard inputs.count > 1, let axisValue = inputs[1]?.ints?.first ?? inputs[1]?.data.first.map(Int64.init) else {
                throw Failure(message: "CumSum needs its axis")
            }
            let axis = try normalize(Int(axisValue), x.shape.count)
            let (exclusive, reverse) = (node.int("exclusive") ?? 0 == 1, node.int("reverse") ?? 0 == 1)
            let size = x.shape[axis], inner = x.shape.dropFirst(axis + 1).reduce(1, *), outer = x.shape.prefix(axis).reduce(1, *)
            var data = x.data
            var ints = x.ints
            for o in 0..<outer {
                for i in 0..<inner {
                    var (total, exact) = (0.0, Int64(0))
                    for step in 0..<size {
                        let t = reverse ? size - 1 - step : step
                        let index = (o * size + t) * inner + i
                        if exclusive { data[index] = Float(total); ints?[index] = exact }
                        total += Double(x.data[index])
                        if let values = x.ints { exact &+= values[index] }
                        if !exclusive { data[index] = Float(total); ints?[index] = exact }
                    }
                }
            }
            var result = Tensor(shape: shape, data: data)
            result.ints = ints
            return result
        default: // ArgMax, ArgMin
            let axis = try normalize(node.int("axis") ?? 0, x.shape.count)
            let last = node.int("select_last_index") ?? 0 == 1
            let size = x.shape[axis], inner = x.shape.dropFirst(axis + 1).reduce(1, *)
            guard size > 0 else { throw Failure(message: "\(node.opType) over an empty axis") }
            let isMax = node.opType == "ArgMax"
            return Tensor(shape: shape, ints: (0..<count).map { index in
                let (o, i) = (index / max(inner, 1), index % max(inner, 1))
                var best = 0
                for t in 1..<max(size, 1) {
                    let (candidate, current) = (x.data[(o * size + t) * inner + i], x.data[(o * size + best) * inner + i])
                    if isMax ? candidate > current || last && candidate == current : candidate < current || last && candidate == current { best = t }
                }
                return Int64(best)
            })
        }
    }

    /// For each output element of the copying operators, the input element it copies.
    private static func sourceIndices(_ node: Onnx_NodeProto, x: Tensor, inputs: [Tensor?], shape: [Int]) throws -> [Int] {
        let count = shape.reduce(1, *)
        let strides = Tensor.strides(x.shape)
        switch node.opType {
        case "GatherElements":
            guard inputs.count > 1, let indices = inputs[1] else { throw Failure(message: "GatherElements needs its indices") }
            let axis = try normalize(node.int("axis") ?? 0, x.shape.count)
            let picks = indices.ints ?? indices.data.map { Int64($0) }
            return try (0..<count).map { index in
                var coordinates = coordinates(of: index, in: shape)
                let pick = Int(picks[index]) < 0 ? Int(picks[index]) + x.shape[axis] : Int(picks[index])
                guard (0..<x.shape[axis]).contains(pick) else { throw Failure(message: "GatherElements index \(picks[index]) is out of range for axis size \(x.shape[axis])") }
                coordinates[axis] = pick
                return zip(coordinates, strides).reduce(0) { $0 + $1.0 * $1.1 }
            }
        case "GatherND":
            // Output (batch, position, inner) copies data[batch][index tuple at (batch, position)][inner].
            guard inputs.count > 1, let indices = inputs[1] else { throw Failure(message: "GatherND needs its indices") }
            let batchDims = node.int("batch_dims") ?? 0
            let last = indices.shape.last ?? 0
            let picks = indices.ints ?? indices.data.map { Int64($0) }
            let inner = x.shape.dropFirst(batchDims + last).reduce(1, *)
            let positions = indices.shape.dropFirst(batchDims).dropLast().reduce(1, *)
            let perBatch = x.shape.dropFirst(batchDims).reduce(1, *)
            let indexed = Array(x.shape[batchDims..<batchDims + last])
            return try (0..<count).map { index in
                let (tuple, offset) = (index / max(inner, 1), index % max(inner, 1))
                var source = tuple / max(positions, 1) * perBatch + offset
                for (axis, size) in indexed.enumerated() {
                    var pick = Int(picks[tuple * last + axis])
                    if pick < 0 { pick += size }
                    guard (0..<size).contains(pick) else { throw Failure(message: "GatherND index \(picks[tuple * last + axis]) is out of range for axis size \(size)") }
                    source += pick * strides[batchDims + axis]
                }
                return source
            }
        case "Tile":
            return (0..<count).map { index in
                let coordinates = coordinates(of: index, in: shape)
                return coordinates.indices.reduce(0) { $0 + coordinates[$1] % x.shape[$1] * strides[$1] }
            }
        default: // DepthToSpace, SpaceToDepth on N x C x H x W
            let block = node.int("blocksize") ?? 1
            let crd = node.string("mode") == "CRD"
            let toSpace = node.opType == "DepthToSpace"
            return (0..<count).map { index in
                let c = coordinates(of: index, in: shape)
                let (n, channel, row, column) = (c[0], c[1], c[2], c[3])
                if toSpace {
                    // Output (n, ch, h·b + i, w·b + j) reads input channel (i·b + j)·C' + ch (DCR) or ch·b² + i·b + j (CRD).
                    let (i, j) = (row % block, column % block)
                    let channels = shape[1]
                    let source = crd ? channel * block * block + i * block + j : (i * block + j) * channels + channel
                    return n * strides[0] + source * strides[1] + row / block * strides[2] + column / block * strides[3]
                }
                // SpaceToDepth (DCR order): output channel (i·b + j)·C + ch reads (ch, h·b + i, w·b + j).
                let channels = x.shape[1]
                let (offset, source) = (channel / channels, channel % channels)
                let (i, j) = (offset / block, offset % block)
                return n * strides[0] + source * strides[1] + (row * block + i) * strides[2] + (column * block + j) * strides[3]
            }
        }
    }
}

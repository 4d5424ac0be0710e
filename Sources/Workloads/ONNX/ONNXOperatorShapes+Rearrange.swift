import ONNXProto

// Shape rules of the operators that select or move values by position (their values are
// computed by ReferenceOperators.rearrange).
extension ONNXOperatorShapes {
    static let rearranging: Set<String> = ["GatherElements", "GatherND", "Tile", "ArgMax", "ArgMin", "DepthToSpace", "SpaceToDepth"]

    static func rearrangedShape(_ node: Onnx_NodeProto, inputs: [ONNXValue?]) throws -> ONNXValue {
        guard let x = inputs.first ?? nil else { throw ONNXShapeError("input 0 is missing") }
        switch node.opType {
        case "GatherElements":
            guard inputs.count > 1, let indices = inputs[1] else { throw ONNXShapeError("input 1 is missing") }
            guard indices.shape.count == x.shape.count else {
                throw ONNXShapeError("indices of rank \(indices.shape.count) for data of rank \(x.shape.count): the ranks must be equal")
            }
            let axis = try normalize(node.int("axis") ?? 0, rank: x.shape.count)
            // Off the gathered axis, each position of the indices reads the data's.
            guard indices.shape.indices.allSatisfy({ $0 == axis || indices.shape[$0] <= x.shape[$0] }) else {
                throw ONNXShapeError("indices \(indices.shape) reach past data \(x.shape) off axis \(axis)")
            }
            return ONNXValue(shape: indices.shape)
        case "GatherND":
            guard inputs.count > 1, let indices = inputs[1] else { throw ONNXShapeError("input 1 is missing") }
            let batch = node.int("batch_dims") ?? 0
            guard let last = indices.shape.last, batch >= 0, batch < indices.shape.count, batch + last <= x.shape.count,
                  Array(x.shape.prefix(batch)) == Array(indices.shape.prefix(batch)) else {
                throw ONNXShapeError("indices \(indices.shape) with batch_dims \(batch) do not index data \(x.shape)")
            }
            return ONNXValue(shape: Array(indices.shape.dropLast()) + Array(x.shape.dropFirst(batch + last)))
        case "Tile":
            guard inputs.count > 1, let repeats = inputs[1] else { throw ONNXShapeError("input 1 is missing") }
            guard let counts = repeats.ints else { throw ONNXShapeError("repeats are not a constant") }
            guard counts.count == x.shape.count, counts.allSatisfy({ $0 >= 0 }) else {
                throw ONNXShapeError("repeats \(counts) do not give one count of at least 0 per axis of \(x.shape)")
            }
            // Saturating, so that a hostile count is refused by the size check instead of trapping.
            return ONNXValue(shape: zip(x.shape, counts).map { [$0, Int(clamping: $1)].saturatingProduct })
        case "ArgMax", "ArgMin":
            let axis = try normalize(node.int("axis") ?? 0, rank: x.shape.count)
            var shape = x.shape
            if node.int("keepdims") ?? 1 == 1 { shape[axis] = 1 } else { shape.remove(at: axis) }
            return ONNXValue(shape: shape)
        default: // DepthToSpace, SpaceToDepth
            guard x.shape.count == 4 else { throw ONNXShapeError("needs an N x C x H x W input, got \(x.shape)") }
            guard let block = node.int("blocksize"), block > 0 else { throw ONNXShapeError("blocksize must be positive") }
            let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            if node.opType == "DepthToSpace" {
                guard c % (block * block) == 0 else { throw ONNXShapeError("\(c) channels do not divide into blocks of \(block)x\(block)") }
                return ONNXValue(shape: [n, c / (block * block), h * block, w * block])
            }
            guard h % block == 0, w % block == 0 else { throw ONNXShapeError("\(h)x\(w) does not divide into blocks of \(block)x\(block)") }
            return ONNXValue(shape: [n, c * block * block, h / block, w / block])
        }
    }
}

import ONNXProto

extension ReferenceOperators {
    /// DequantizeLinear: y = (x − zero_point) · scale, with one scale (and zero point) for the
    /// tensor, one per slice along `axis` (default 1; 1-D scale), or one per `block_size`
    /// elements along `axis` (opset 21's blocked form: scale of x's rank, that axis divided).
    /// What quantized models (QDQ) put between their int8 weights and the float operators.
    static func dequantizeLinear(_ node: Onnx_NodeProto, _ x: Tensor, scale: Tensor, zeroPoint: Tensor?) throws -> Tensor {
        if let zeroPoint, zeroPoint.shape != scale.shape, zeroPoint.count != scale.count {
            throw Failure(message: "DequantizeLinear's zero point has shape \(zeroPoint.shape), its scale \(scale.shape)")
        }
        let zero = zeroPoint?.data ?? [Float](repeating: 0, count: scale.count)
        if scale.count == 1 {
            return Tensor(shape: x.shape, data: x.data.map { ($0 - zero[0]) * scale.data[0] })
        }
        let rank = x.shape.count
        let rawAxis = node.int("axis") ?? 1
        let axis = rawAxis < 0 ? rawAxis + rank : rawAxis
        guard axis >= 0, axis < rank else { throw Failure(message: "DequantizeLinear axis \(rawAxis) is outside a rank-\(rank) input") }
        let inner = x.shape[(axis + 1)...].reduce(1, *), length = x.shape[axis]
        let block = node.int("block_size") ?? 0
        var y = [Float](repeating: 0, count: x.count)
        if block > 0 {
            // Blocked: scale has x's shape with the axis cut into ⌈length / block⌉ blocks.
            let blocks = (length + block - 1) / block
            guard scale.shape.count == rank, scale.shape[axis] == blocks, scale.count == x.count / length * blocks else {
                throw Failure(message: "DequantizeLinear block_size \(block): scale shape \(scale.shape) does not fit input \(x.shape)")
            }
            for index in 0..<x.count {
                let outer = index / (length * inner), position = (index / inner) % length, within = index % inner
                let s = (outer * blocks + position / block) * inner + within
                y[index] = (x.data[index] - zero[s]) * scale.data[s]
            }
        } else {
            guard scale.shape.count == 1, scale.count == length else {
                throw Failure(message: "DequantizeLinear: a scale of shape \(scale.shape) for axis \(axis) of input \(x.shape) (expected one per slice, \(length))")
            }
            for index in 0..<x.count {
                let s = (index / inner) % length
                y[index] = (x.data[index] - zero[s]) * scale.data[s]
            }
        }
        return Tensor(shape: x.shape, data: y)
    }
}

import ONNXProto

// Pad (constant, reflect, edge and wrap), as TensorFlow exports write explicit padding before
// convolutions and pooling. A zero Pad that only a Conv reads is folded into the Conv's pads by
// the clean-up; any other runs here.
extension ReferenceOperators {
    static func pad(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> Tensor {
        guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
        let parameters: ONNXPad
        do { parameters = try ONNXPad(node: node, inputs: inputs.map { $0?.value }, opset: opset) } catch let error as ONNXShapeError {
            throw Failure(message: error.message)
        }
        let rank = x.shape.count
        let shape = parameters.outputShape
        let count = shape.reduce(1, *)
        let strides = Tensor.strides(x.shape)
        var data = [Float](repeating: parameters.value, count: count)
        var position = [Int](repeating: 0, count: rank)
        for index in 0..<count {
            var source = 0
            var inside = true
            for axis in 0..<rank {
                var i = position[axis] - parameters.begin[axis]
                let size = x.shape[axis]
                if i < 0 || i >= size {
                    switch parameters.mode {
                    case "constant": inside = false
                    case "edge": i = min(max(i, 0), size - 1)
                    case "wrap": i = ((i % size) + size) % size
                    default: // reflect, without repeating the edge
                        let period = max(2 * (size - 1), 1)
                        i = ((i % period) + period) % period
                        if i >= size { i = period - i }
                    }
                }
                if !inside { break }
                source += i * strides[axis]
            }
            if inside { data[index] = x.data[source] }
            var axis = rank - 1
            while axis >= 0 {
                position[axis] += 1
                if position[axis] < shape[axis] { break }
                position[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, data: data)
    }
}

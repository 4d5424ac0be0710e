import ONNXProto

// Normalizations other than LayerNormalization: BatchNormalization where no Conv or Gemm
// precedes it to fold into (after an Add, in a classifier head), InstanceNormalization and
// GroupNormalization (style transfer, diffusion U-Nets) and RMSNormalization (opset 23, the
// Llama family's norm as one operator). Statistics accumulate in double.
extension ReferenceOperators {
    static let normalizationOperators: Set<String> = ["BatchNormalization", "InstanceNormalization", "GroupNormalization", "RMSNormalization"]

    static func normalization(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> Tensor {
        func input(_ index: Int) throws -> Tensor {
            guard index < inputs.count, let value = inputs[index] else { throw Failure(message: "input \(index) is missing") }
            return value
        }
        let x = try input(0)
        let epsilon = Double(node.float("epsilon") ?? 1e-5)
        // Every parameter must cover what it is indexed by (a hostile file may give fewer).
        func parameters(_ indices: [Int], count: Int) throws -> [Tensor] {
            let values = try indices.map(input)
            guard values.allSatisfy({ $0.count >= count && $0.count > 0 }) else {
                throw Failure(message: "its scale, bias, mean or variance has fewer than the \(count) values it needs")
            }
            return values
        }
        switch node.opType {
        case "BatchNormalization":
            // Inference form: the running mean and variance.
            let p = try parameters([1, 2, 3, 4], count: try channels(of: x))
            let (scale, bias, mean, variance) = (p[0], p[1], p[2], p[3])
            return try perChannel(x) { channel in
                let factor = Double(scale.data[channel]) / (Double(variance.data[channel]) + epsilon).squareRoot()
                return (factor, Double(bias.data[channel]) - Double(mean.data[channel]) * factor)
            }
        case "InstanceNormalization":
            let p = try parameters([1, 2], count: try channels(of: x))
            let (scale, bias) = (p[0], p[1])
            return try grouped(x, groups: try channels(of: x), epsilon: epsilon) { channel in (Double(scale.data[channel]), Double(bias.data[channel])) }
        case "GroupNormalization":
            guard let groups = node.int("num_groups"), groups > 0, try channels(of: x) % groups == 0 else {
                throw Failure(message: "GroupNormalization needs num_groups dividing the \(x.shape.count > 1 ? x.shape[1] : 0) channels")
            }
            let p = try parameters([1, 2], count: groups)
            let (scale, bias) = (p[0], p[1])
            // Opset 18 gave scale and bias per group, opset 21 per channel.
            let perGroup = scale.count < x.shape[1] || bias.count < x.shape[1]
            guard !perGroup || scale.count >= groups && bias.count >= groups else { throw Failure(message: "GroupNormalization's scale and bias are too short") }
            let channelsPerGroup = x.shape[1] / groups
            return try grouped(x, groups: groups, epsilon: epsilon) { channel in
                let index = perGroup ? channel / channelsPerGroup : channel
                return (Double(scale.data[index]), Double(bias.data[index]))
            }
        default: // RMSNormalization
            let scale = try parameters([1], count: 1)[0]
            let axis = try normalize(node.int("axis") ?? -1, x.shape.count)
            let size = x.shape.dropFirst(axis).reduce(1, *)
            var data = x.data
            for start in stride(from: 0, to: x.count, by: max(size, 1)) {
                let meanSquare = x.data[start..<start + size].reduce(0.0) { $0 + Double($1) * Double($1) } / Double(size)
                let inverse = 1 / (meanSquare + epsilon).squareRoot()
                for i in 0..<size { data[start + i] = Float(Double(x.data[start + i]) * inverse) * scale.data[i % scale.count] }
            }
            return Tensor(shape: x.shape, data: data)
        }
    }

    private static func channels(of x: Tensor) throws -> Int {
        guard x.shape.count >= 2 else { throw Failure(message: "needs an N x C x … input, got \(x.shape)") }
        return x.shape[1]
    }

    /// y = a·x + b with (a, b) per channel of an N x C x … input.
    private static func perChannel(_ x: Tensor, _ coefficients: (Int) -> (Double, Double)) throws -> Tensor {
        let channels = try channels(of: x)
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let table = (0..<channels).map(coefficients)
        var data = x.data
        for index in data.indices {
            let (a, b) = table[(index / max(inner, 1)) % channels]
            data[index] = Float(a * Double(x.data[index]) + b)
        }
        return Tensor(shape: x.shape, data: data)
    }

    /// Normalizes each of `groups` consecutive channel blocks per image over its channels and
    /// spatial positions, then scales and shifts by channel.
    private static func grouped(_ x: Tensor, groups: Int, epsilon: Double, _ affine: (Int) -> (Double, Double)) throws -> Tensor {
        let channels = try channels(of: x)
        let inner = x.shape.dropFirst(2).reduce(1, *)
        let block = channels / groups * inner
        var data = x.data
        for start in stride(from: 0, to: x.count, by: max(block, 1)) {
            let slice = x.data[start..<start + block]
            let mean = slice.reduce(0.0) { $0 + Double($1) } / Double(block)
            let variance = slice.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(block)
            let inverse = 1 / (variance + epsilon).squareRoot()
            for i in 0..<block {
                let (scale, bias) = affine(((start + i) / max(inner, 1)) % channels)
                data[start + i] = Float((Double(x.data[start + i]) - mean) * inverse * scale + bias)
            }
        }
        return Tensor(shape: x.shape, data: data)
    }
}

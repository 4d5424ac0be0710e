import Foundation
import ONNXProto

/// The ONNX operators of MLPs, small CNNs and transformer blocks, computed plainly in fp32
/// with double accumulation for products: the reference path `tunebench run` checks the tuned
/// kernels against, and what runs the operators that are not tuned layers.
package enum ReferenceOperators {
    package struct Failure: Error { package let message: String }

    /// The operators `evaluate` computes (a test holds the two together).
    package static let operators: Set<String> = Set([
        "Identity", "Cast", "Dropout", "Relu", "Sigmoid", "Tanh", "Erf", "Sqrt", "Exp", "Log", "Abs", "Reciprocal", "Neg", "Gelu",
        "LeakyRelu", "HardSigmoid", "HardSwish", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum",
        "MatMul", "Gemm", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Softmax", "LogSoftmax",
        "LayerNormalization", "Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Gather", "Concat", "Constant", "Expand",
        "ConstantOfShape", "LRN", "Clip", "Resize", "Upsample", "Pad", "DequantizeLinear",
    ]).union(logicOperators).union(indexingOperators).union(mathOperators).union(normalizationOperators).union(rearrangeOperators)

    package static func evaluate(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        func input(_ index: Int) throws -> Tensor {
            guard index < inputs.count, let value = inputs[index] else { throw Failure(message: "input \(index) is missing") }
            return value
        }
        func unary(_ f: (Float) -> Float) throws -> [Tensor] {
            let x = try input(0)
            return [Tensor(shape: x.shape, data: x.data.map(f))]
        }
        if logicOperators.contains(node.opType) { return [try logic(node, inputs)] }
        if indexingOperators.contains(node.opType) { return try indexing(node, inputs, opset: opset) }
        if mathOperators.contains(node.opType) { return [try math(node, inputs)] }
        if normalizationOperators.contains(node.opType) { return [try normalization(node, inputs, opset: opset)] }
        if rearrangeOperators.contains(node.opType) { return [try rearrange(node, inputs, opset: opset)] }
        switch node.opType {
        case "Identity", "Dropout": return [try input(0)]
        case "Cast": return [cast(try input(0), to: node.int("to"))]
        case "Relu": return try unary { max($0, 0) }
        case "LeakyRelu":
            let alpha = node.float("alpha") ?? 0.01
            return try unary { $0 < 0 ? alpha * $0 : $0 }
        case "HardSigmoid":
            let (alpha, beta) = (node.float("alpha") ?? 0.2, node.float("beta") ?? 0.5)
            return try unary { Swift.min(Swift.max(alpha * $0 + beta, 0), 1) }
        case "HardSwish": return try unary { $0 * Swift.min(Swift.max($0 / 6 + 0.5, 0), 1) }
        case "Log": return try unary { log($0) }
        case "Abs": return try unary { abs($0) }
        case "Reciprocal": return try unary { 1 / $0 }
        case "Sigmoid": return try unary { 1 / (1 + exp(-$0)) }
        case "Tanh": return try unary { tanh($0) }
        case "Erf": return try unary { erf($0) }
        case "Sqrt": return try unary { $0.squareRoot() }
        case "Exp": return try unary { exp($0) }
        case "Neg": return try unary { -$0 }
        case "Gelu":
            if node.string("approximate") == "tanh" {
                return try unary { x in Float(0.5 * Double(x) * (1 + Foundation.tanh(0.797_884_560_802_865_4 * (Double(x) + 0.044_715 * Double(x) * Double(x) * Double(x))))) }
            }
            return try unary { x in Float(0.5 * Double(x) * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))) }
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min":
            return [try broadcastBinary(try input(0), try input(1), op: node.opType)]
        case "Sum":
            let parts = inputs.compactMap { $0 }
            guard var total = parts.first else { throw Failure(message: "Sum without inputs") }
            for part in parts.dropFirst() { total = try broadcastBinary(total, part, op: "Add") }
            return [total]
        case "ConvTranspose":
            return [try convTranspose(node, try input(0), try input(1), inputs.count > 2 ? inputs[2] : nil)]
        case "Resize", "Upsample":
            return [try resize(node, inputs, opset: opset)]
        case "Pad":
            return [try pad(node, inputs, opset: opset)]
        case "MatMul":
            return [try matmul(try input(0), try input(1))]
        case "DequantizeLinear":
            return [try dequantizeLinear(node, try input(0), scale: try input(1), zeroPoint: inputs.count > 2 ? inputs[2] : nil)]
        case "Gemm":
            return [try gemm(node, try input(0), try input(1), inputs.count > 2 ? inputs[2] : nil)]
        case "Conv":
            return [try conv(node, try input(0), try input(1), inputs.count > 2 ? inputs[2] : nil)]
        case "MaxPool", "AveragePool":
            return [try pool(node, try input(0), max: node.opType == "MaxPool")]
        case "GlobalAveragePool", "GlobalMaxPool":
            let x = try input(0)
            let plane = x.shape.dropFirst(2).reduce(1, *)
            let data = stride(from: 0, to: x.count, by: plane).map { start in
                node.opType == "GlobalMaxPool" ? x.data[start..<start + plane].max() ?? 0
                    : Float(x.data[start..<start + plane].reduce(0.0) { $0 + Double($1) } / Double(plane))
            }
            return [Tensor(shape: Array(x.shape.prefix(2)) + Array(repeating: 1, count: x.shape.count - 2), data: data)]
        case "Softmax", "LogSoftmax":
            let x = try input(0)
            let log = node.opType == "LogSoftmax"
            let axis = try normalize(node.int("axis") ?? (opset < 13 ? 1 : -1), x.shape.count)
            guard opset < 13 else { return [softmax(x, axis: axis, log: log)] }
            // Before opset 13: over everything from the axis on, the input flattened to 2-D there.
            let flat = Tensor(shape: [x.shape[..<axis].reduce(1, *), x.shape[axis...].reduce(1, *)], data: x.data)
            return [Tensor(shape: x.shape, data: softmax(flat, axis: 1, log: log).data)]
        case "LayerNormalization":
            return [try layerNorm(try input(0), scale: try input(1), bias: inputs.count > 2 ? inputs[2] : nil,
                                  axis: node.int("axis") ?? -1, epsilon: node.float("epsilon") ?? 1e-5)]
        case "Transpose":
            let x = try input(0)
            return [transpose(x, perm: node.ints("perm") ?? Array((0..<x.shape.count).reversed()))]
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Gather", "Concat", "Constant", "Expand", "Slice", "ConstantOfShape":
            return try shapeOperator(node, inputs, opset: opset)
        case "LRN":
            return [try localResponseNormalization(node, try input(0))]
        case "Clip":
            // Bounds as inputs (opset 11 on) or attributes (before); absent: unbounded.
            let low = inputs.count > 1 ? inputs[1]?.data.first : node.float("min")
            let high = inputs.count > 2 ? inputs[2]?.data.first : node.float("max")
            return try unary { Swift.min(Swift.max($0, low ?? -.infinity), high ?? .infinity) }
        default:
            throw Failure(message: "operator \(node.opType) is not in the runner (it runs \(operators.sorted().joined(separator: ", ")))")
        }
    }

    /// Cast: to a floating type the values as floats; to an integer type truncated integers;
    /// to bool 0 and 1. Values are kept as floats (and integers where integral), so only the
    /// kind of number changes.
    package static func cast(_ x: Tensor, to type: Int?) -> Tensor {
        switch type.flatMap(Onnx_TensorProto.DataType.init(rawValue:)) {
        case .float?, .double?, .float16?, .bfloat16?, nil: return Tensor(shape: x.shape, data: x.data)
        case .bool?: return Tensor(shape: x.shape, ints: x.ints.map { $0.map { $0 != 0 ? 1 : 0 } } ?? x.data.map { $0 != 0 ? 1 : 0 })
        default: return Tensor(shape: x.shape, ints: x.ints ?? x.data.map { $0.isNaN ? 0 : abs($0) < 9.2e18 ? Int64($0.rounded(.towardZero)) : $0 > 0 ? .max : .min })
        }
    }

    /// LRN across channels (AlexNet, GoogLeNet): x / (bias + alpha / size · Σ x²)^beta over the
    /// window of `size` channels around each, [c − ⌊(size−1)/2⌋, c + ⌈(size−1)/2⌉].
    static func localResponseNormalization(_ node: Onnx_NodeProto, _ x: Tensor) throws -> Tensor {
        guard x.shape.count >= 3, let size = node.int("size"), size > 0 else { throw Failure(message: "LRN needs an N x C x … input and a positive size") }
        let (alpha, beta, bias) = (Double(node.float("alpha") ?? 1e-4), Double(node.float("beta") ?? 0.75), Double(node.float("bias") ?? 1))
        let (channels, inner) = (x.shape[1], x.shape.dropFirst(2).reduce(1, *))
        let (below, above) = ((size - 1) / 2, size / 2) // ⌊(size−1)/2⌋, ⌈(size−1)/2⌉
        var data = [Float](repeating: 0, count: x.count)
        for n in 0..<x.shape[0] {
            for c in 0..<channels {
                let base = (n * channels + c) * inner
                for i in 0..<inner {
                    var sum = 0.0
                    for other in max(0, c - below)...min(channels - 1, c + above) {
                        let value = Double(x.data[(n * channels + other) * inner + i])
                        sum += value * value
                    }
                    data[base + i] = Float(Double(x.data[base + i]) / pow(bias + alpha / Double(size) * sum, beta))
                }
            }
        }
        return Tensor(shape: x.shape, data: data)
    }

    package static func normalize(_ axis: Int, _ rank: Int) throws -> Int {
        let value = axis < 0 ? axis + rank : axis
        guard (0..<max(rank, 1)).contains(value) else { throw Failure(message: "axis \(axis) out of range for rank \(rank)") }
        return value
    }

    /// Index of `index` (in `shape`) within a broadcast operand of shape `from`.
    package static func broadcastSource(_ coordinates: [Int], from shape: [Int]) -> Int {
        var offset = 0, stride = 1
        for axis in (0..<shape.count).reversed() {
            let coordinate = coordinates[coordinates.count - shape.count + axis]
            offset += (shape[axis] == 1 ? 0 : coordinate) * stride
            stride *= shape[axis]
        }
        return offset
    }

    /// For each element of a value of `shape` (row-major), the offset it reads in an operand of
    /// shape `operand` broadcast to it (numpy rules), by an odometer over the axes.
    package static func broadcastOffsets(_ operand: [Int], to shape: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        let padded = Array(repeating: 1, count: max(0, shape.count - operand.count)) + operand
        let strides = Tensor.strides(padded).enumerated().map { padded[$0.offset] == 1 ? 0 : $0.element }
        var offsets = [Int](repeating: 0, count: count)
        var position = [Int](repeating: 0, count: shape.count)
        var source = 0
        for index in 0..<count {
            offsets[index] = source
            var axis = shape.count - 1
            while axis >= 0 {
                position[axis] += 1
                source += strides[axis]
                if position[axis] < shape[axis] { break }
                source -= strides[axis] * shape[axis]
                position[axis] = 0
                axis -= 1
            }
        }
        return offsets
    }

    package static func broadcastShape(_ a: [Int], _ b: [Int]) throws -> [Int] {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a, pb = Array(repeating: 1, count: rank - b.count) + b
        return try zip(pa, pb).map { x, y in
            guard x == y || x == 1 || y == 1 else { throw Failure(message: "shapes \(a) and \(b) do not broadcast") }
            return max(x, y)
        }
    }

    package static func coordinates(of index: Int, in shape: [Int]) -> [Int] {
        var rest = index
        var result = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() {
            result[axis] = rest % max(shape[axis], 1)
            rest /= max(shape[axis], 1)
        }
        return result
    }

    package static func broadcastBinary(_ a: Tensor, _ b: Tensor, op: String) throws -> Tensor {
        let shape = try broadcastShape(a.shape, b.shape)
        let f: (Float, Float) -> Float = switch op {
        case "Add": (+)
        case "Sub": (-)
        case "Mul": (*)
        case "Div": (/)
        case "Max": { Swift.max($0, $1) }
        case "Min": { Swift.min($0, $1) }
        default: { pow($0, $1) }
        }
        let count = shape.reduce(1, *)
        var data = [Float](repeating: 0, count: count)
        if a.shape == b.shape {
            for i in 0..<count { data[i] = f(a.data[i], b.data[i]) }
        } else if a.shape == shape, isTrailing(b.shape, of: shape) {
            // b repeats along the leading axes (a bias, a scalar): index it modulo its size.
            let size = b.count
            for i in 0..<count { data[i] = f(a.data[i], b.data[i % size]) }
        } else if b.shape == shape, isTrailing(a.shape, of: shape) {
            let size = a.count
            for i in 0..<count { data[i] = f(a.data[i % size], b.data[i]) }
        } else {
            let (offsetsA, offsetsB) = (broadcastOffsets(a.shape, to: shape), broadcastOffsets(b.shape, to: shape))
            for i in 0..<count { data[i] = f(a.data[offsetsA[i]], b.data[offsetsB[i]]) }
        }
        var result = Tensor(shape: shape, data: data)
        if let x = a.ints, let y = b.ints, ["Add", "Sub", "Mul", "Div"].contains(op), shape.count <= 1 {
            result.ints = (0..<count).map { i in
                let (p, q) = (x[x.count == 1 ? 0 : i], y[y.count == 1 ? 0 : i])
                return op == "Add" ? p + q : op == "Sub" ? p - q : op == "Mul" ? p * q : (q == 0 ? 0 : p / q)
            }
        }
        return result
    }

    /// `part` equals the end of `shape` once its leading 1s are dropped (so it broadcasts by
    /// repetition).
    package static func isTrailing(_ part: [Int], of shape: [Int]) -> Bool {
        let trimmed = Array(part.drop { $0 == 1 })
        return trimmed.count <= shape.count && Array(shape.suffix(trimmed.count)) == trimmed
    }

    /// Numpy matmul with broadcast batch dimensions.
    static func matmul(_ a: Tensor, _ b: Tensor) throws -> Tensor {
        let pa = a.shape.count == 1 ? [1] + a.shape : a.shape
        let pb = b.shape.count == 1 ? b.shape + [1] : b.shape
        let (m, k, n) = (pa[pa.count - 2], pa[pa.count - 1], pb[pb.count - 1])
        guard pb[pb.count - 2] == k else { throw Failure(message: "inner dimensions differ: \(a.shape) x \(b.shape)") }
        let batchA = Array(pa.dropLast(2)), batchB = Array(pb.dropLast(2))
        let batch = try broadcastShape(batchA, batchB)
        let batches = batch.reduce(1, *)
        var data = [Float](repeating: 0, count: batches * m * n)
        for index in 0..<batches {
            let c = coordinates(of: index, in: batch)
            let aOffset = (batchA.isEmpty ? 0 : broadcastSource(c, from: batchA)) * m * k
            let bOffset = (batchB.isEmpty ? 0 : broadcastSource(c, from: batchB)) * k * n
            for row in 0..<m {
                for column in 0..<n {
                    var sum = 0.0
                    for p in 0..<k { sum += Double(a.data[aOffset + row * k + p]) * Double(b.data[bOffset + p * n + column]) }
                    data[(index * m + row) * n + column] = Float(sum)
                }
            }
        }
        var shape = batch + [m, n]
        if b.shape.count == 1 { shape.removeLast() }
        if a.shape.count == 1 { shape.remove(at: shape.count - (b.shape.count == 1 ? 1 : 2)) }
        return Tensor(shape: shape, data: data)
    }

    static func gemm(_ node: Onnx_NodeProto, _ a: Tensor, _ b: Tensor, _ c: Tensor?) throws -> Tensor {
        let ta = node.int("transA") ?? 0 == 1, tb = node.int("transB") ?? 0 == 1
        let alpha = Double(node.float("alpha") ?? 1), beta = Double(node.float("beta") ?? 1)
        let (m, k) = ta ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let n = tb ? b.shape[0] : b.shape[1]
        var data = [Float](repeating: 0, count: m * n)
        for row in 0..<m {
            for column in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = ta ? a.data[p * m + row] : a.data[row * k + p]
                    let w = tb ? b.data[column * k + p] : b.data[p * n + column]
                    sum += Double(x) * Double(w)
                }
                var value = alpha * sum
                if let c { value += beta * Double(c.data[broadcastSource([row, column], from: c.shape)]) }
                data[row * n + column] = Float(value)
            }
        }
        return Tensor(shape: [m, n], data: data)
    }

    /// A 1-D or 2-D window as 2-D (a 1-D one has a height of 1): input height and width,
    /// output height and width, kernel, strides, leading pads and dilations per axis.
    struct PlanarWindow: Sendable {
        var height: Int, width: Int, outHeight: Int, outWidth: Int
        var kernel: [Int], strides: [Int], pads: [Int], dilations: [Int]

        init(_ window: ONNXWindow, input: [Int]) throws {
            switch input.count {
            case 4:
                (height, width, outHeight, outWidth) = (input[2], input[3], window.outputShape[2], window.outputShape[3])
                (kernel, strides, pads, dilations) = (window.kernel, window.strides, window.padsBegin, window.dilations)
            case 3:
                (height, width, outHeight, outWidth) = (1, input[2], 1, window.outputShape[2])
                (kernel, strides, pads, dilations) = ([1] + window.kernel, [1] + window.strides, [0] + window.padsBegin, [1] + window.dilations)
            default:
                throw Failure(message: "only 1-D and 2-D windows run, not \(input.count - 2)-D")
            }
        }
    }

    static func conv(_ node: Onnx_NodeProto, _ x: Tensor, _ w: Tensor, _ bias: Tensor?) throws -> Tensor {
        let window = try ONNXWindow(node: node, input: x.shape, weight: w.shape)
        let p = try PlanarWindow(window, input: x.shape)
        let (batch, channels, height, width) = (x.shape[0], x.shape[1], p.height, p.width)
        let (out, r, s) = (w.shape[0], p.kernel[0], p.kernel[1])
        let (oh, ow) = (p.outHeight, p.outWidth)
        let group = window.group, perGroup = channels / group, outPerGroup = out / group
        var data = [Float](repeating: 0, count: batch * out * oh * ow)
        for image in 0..<batch {
            for o in 0..<out {
                let g = o / outPerGroup
                for y in 0..<oh {
                    for xo in 0..<ow {
                        var sum = Double(bias?.data[o] ?? 0)
                        for c in 0..<perGroup {
                            for i in 0..<r {
                                let ih = y * p.strides[0] - p.pads[0] + i * p.dilations[0]
                                guard ih >= 0 && ih < height else { continue }
                                for j in 0..<s {
                                    let iw = xo * p.strides[1] - p.pads[1] + j * p.dilations[1]
                                    guard iw >= 0 && iw < width else { continue }
                                    let value = x.data[((image * channels + g * perGroup + c) * height + ih) * width + iw]
                                    sum += Double(value) * Double(w.data[((o * perGroup + c) * r + i) * s + j])
                                }
                            }
                        }
                        data[((image * out + o) * oh + y) * ow + xo] = Float(sum)
                    }
                }
            }
        }
        return Tensor(shape: window.outputShape, data: data)
    }

    static func pool(_ node: Onnx_NodeProto, _ x: Tensor, max isMax: Bool) throws -> Tensor {
        let pooling = try Pooling(node: node, input: x.shape, isMax: isMax)
        var data = [Float](repeating: 0, count: pooling.outputShape.reduce(1, *))
        x.data.withUnsafeBufferPointer { input in
            data.withUnsafeMutableBufferPointer { output in pooling.run(input.baseAddress!, output.baseAddress!, planes: 0..<pooling.planes) }
        }
        return Tensor(shape: pooling.outputShape, data: data)
    }

    /// Softmax along `axis`, or its logarithm (LogSoftmax: x − max − log Σ e^(x − max)).
    static func softmax(_ x: Tensor, axis: Int, log: Bool = false) -> Tensor {
        let size = x.shape[axis]
        let inner = x.shape.dropFirst(axis + 1).reduce(1, *)
        let outer = x.shape.prefix(axis).reduce(1, *)
        var data = x.data
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * size * inner + i
                var largest = -Float.infinity
                for t in 0..<size { largest = max(largest, x.data[base + t * inner]) }
                var total = 0.0
                for t in 0..<size { total += Double(exp(x.data[base + t * inner] - largest)) }
                if log {
                    let logTotal = Float(Foundation.log(total))
                    for t in 0..<size { data[base + t * inner] = x.data[base + t * inner] - largest - logTotal }
                } else {
                    for t in 0..<size { data[base + t * inner] = Float(Double(exp(x.data[base + t * inner] - largest)) / total) }
                }
            }
        }
        return Tensor(shape: x.shape, data: data)
    }

    static func layerNorm(_ x: Tensor, scale: Tensor, bias: Tensor?, axis: Int, epsilon: Float) throws -> Tensor {
        let axis = try normalize(axis, x.shape.count)
        guard scale.count > 0, bias.map({ $0.count > 0 }) ?? true else { throw Failure(message: "LayerNormalization's scale or bias is empty") }
        let size = x.shape.dropFirst(axis).reduce(1, *)
        var data = x.data
        for start in stride(from: 0, to: x.count, by: size) {
            let slice = x.data[start..<start + size]
            let mean = slice.reduce(0.0) { $0 + Double($1) } / Double(size)
            let variance = slice.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(size)
            let inverse = 1 / (variance + Double(epsilon)).squareRoot()
            for i in 0..<size {
                data[start + i] = Float((Double(x.data[start + i]) - mean) * inverse) * scale.data[i % scale.count] + (bias?.data[i % (bias?.count ?? 1)] ?? 0)
            }
        }
        return Tensor(shape: x.shape, data: data)
    }

    package static func transpose(_ x: Tensor, perm: [Int]) -> Tensor {
        let shape = perm.map { x.shape[$0] }
        let sourceStrides = Tensor.strides(x.shape)
        let strides = perm.map { sourceStrides[$0] } // source stride of each output axis
        var data = [Float](repeating: 0, count: x.count)
        var coordinate = [Int](repeating: 0, count: shape.count)
        var source = 0
        for index in 0..<x.count {
            data[index] = x.data[source]
            // Odometer step over the output axes, moving the source offset along.
            var axis = shape.count - 1
            while axis >= 0 {
                coordinate[axis] += 1
                source += strides[axis]
                if coordinate[axis] < shape[axis] { break }
                source -= strides[axis] * shape[axis]
                coordinate[axis] = 0
                axis -= 1
            }
        }
        return Tensor(shape: shape, data: data)
    }

    /// Operators that only rearrange or compute shapes: the shape rules of the import decide
    /// the output shape, the values are moved here.
    static func shapeOperator(_ node: Onnx_NodeProto, _ inputs: [Tensor?], opset: Int) throws -> [Tensor] {
        let known = inputs.map { $0?.value }
        guard let shapes = try ONNXOperatorShapes.outputs(of: node, inputs: known, opset: opset), let first = shapes.first ?? nil else {
            throw Failure(message: "no shape rule")
        }
        // Before any value is made: a hostile ConstantOfShape or Expand asks for more than memory.
        guard first.shape.allSatisfy({ $0 >= 0 }), first.count <= ONNXShapeInference.largestValue else {
            throw Failure(message: "its output \(first.shape) is larger than this machine's memory")
        }
        switch node.opType {
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity":
            guard let x = inputs.first ?? nil else { throw Failure(message: "input 0 is missing") }
            var result = Tensor(shape: first.shape, data: x.data)
            result.ints = x.ints
            return [result]
        // Each pattern its own condition: a `where` after a list applies to its last item only.
        case "Shape" where first.ints != nil, "Constant" where first.ints != nil, "ConstantOfShape" where first.ints != nil:
            return [Tensor(shape: first.shape, ints: first.ints!)]
        case "Constant":
            guard let proto = node.attribute("value")?.t else { throw Failure(message: "only tensor-valued Constant runs") }
            // Any stored type (float16 weights too) read as the initializers are.
            guard let floats = (try? ONNXTensor(proto, modelPath: ""))?.floats, floats.count == first.count else {
                throw Failure(message: "Constant value cannot be decoded as floats")
            }
            return [Tensor(shape: first.shape, data: floats)]
        case "ConstantOfShape":
            // The value's own type: an int64 fill (exporters' shape arithmetic) stays an integer.
            let value = node.attribute("value").flatMap { try? ONNXTensor($0.t, modelPath: "") }
            if let fill = value?.ints?.first { return [Tensor(shape: first.shape, ints: Array(repeating: fill, count: first.count))] }
            return [Tensor(shape: first.shape, data: Array(repeating: value?.floats?.first ?? 0, count: first.count))]
        case "Gather":
            guard let data = inputs[0], let indices = inputs[1] else { throw Failure(message: "inputs missing") }
            let axis = try normalize(node.int("axis") ?? 0, data.shape.count)
            let outer = data.shape.prefix(axis).reduce(1, *), inner = data.shape.dropFirst(axis + 1).reduce(1, *)
            let size = data.shape[axis]
            let picks = (indices.ints ?? indices.data.map { Int64($0) }).map { Int($0) < 0 ? Int($0) + size : Int($0) }
            var values: [Float] = []
            var ints: [Int64]? = data.ints == nil ? nil : []
            for o in 0..<outer {
                for pick in picks {
                    for i in 0..<inner {
                        let index = (o * size + pick) * inner + i
                        values.append(data.data[index])
                        ints?.append(data.ints![index])
                    }
                }
            }
            var result = Tensor(shape: first.shape, data: values)
            result.ints = ints
            return [result]
        case "Concat":
            let parts = inputs.compactMap { $0 }
            let axis = try normalize(node.int("axis") ?? 0, first.shape.count)
            let outer = first.shape.prefix(axis).reduce(1, *)
            var values: [Float] = []
            var ints: [Int64]? = parts.allSatisfy { $0.ints != nil } ? [] : nil
            for o in 0..<outer {
                for part in parts {
                    let block = part.shape.dropFirst(axis).reduce(1, *)
                    values += part.data[o * block..<(o + 1) * block]
                    if ints != nil { ints! += part.ints![o * block..<(o + 1) * block] }
                }
            }
            var result = Tensor(shape: first.shape, data: values)
            result.ints = ints
            return [result]
        case "Expand":
            guard let x = inputs[0] else { throw Failure(message: "input 0 is missing") }
            let zeros = Tensor(shape: first.shape, data: Array(repeating: 0, count: first.count))
            return [try broadcastBinary(zeros, x, op: "Add")]
        default:
            guard let ints = first.ints else { throw Failure(message: "\(node.opType) on float data is not in the runner") }
            return [Tensor(shape: first.shape, ints: ints)]
        }
    }
}

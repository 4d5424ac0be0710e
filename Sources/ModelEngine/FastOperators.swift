import CFloatKernels
import Foundation
import Kernels
import ONNXProto
import Workloads

/// An operand of a compiled operator: its shape and where its floats live for the whole run
/// (a slot of the arena, or a constant's buffer).
struct Operand {
    var shape: [Int]
    var pointer: UnsafeMutablePointer<Float>
    var count: Int { shape.reduce(1, *) }
}

/// The non-GEMM operators of the compiled model on raw float buffers, with everything that
/// depends only on shapes worked out once, when the model is compiled: what a pass runs is a
/// plain loop. `make` returns nil for a node it does not compute (integer values, operators
/// not here); the compiled model then runs that node on the reference operators.
enum FastOperators {
    typealias Run = () -> Void

    /// Splits work over the model's thread team when there is enough of it: a wake-up of the
    /// team costs microseconds, so small operators run on the calling thread.
    struct Parallel {
        let team: ParallelTeam?
        /// Elements (or rows × their size, taps × outputs, multiply-adds) below which one thread
        /// does the work. Waking the second thread and waiting for it cost about 10 µs on the KVM
        /// machines here: the small CNN's max pool (36K taps) took 5 µs on one thread and 18 on
        /// two at 16K (`run --profile`); 128K units take 15–20 µs on one thread.
        static let threshold = 131_072

        func run(_ count: Int, work: Int, granule: Int = 1, _ body: (Range<Int>) -> Void) {
            split(count, work: work, granule: granule) { _, range in body(range) }
        }

        /// `run` with each part's index (below the team's size), for per-thread scratch.
        func split(_ count: Int, work: Int, granule: Int = 1, _ body: (Int, Range<Int>) -> Void) {
            guard let team, team.size > 1, work >= Self.threshold, count > 1 else { return body(0, 0..<count) }
            team.run { index in
                let range = ParallelTeam.chunk(index, of: team.size, count: count, granule: granule)
                if !range.isEmpty { body(index, range) }
            }
        }
    }

    static func make(_ node: Onnx_NodeProto, inputs: [Operand?], output: Operand, opset: Int, parallel: Parallel) -> Run? {
        guard node.domain.isEmpty || node.domain == "ai.onnx", let x = inputs.first ?? nil else { return nil }
        let (count, out) = (output.count, output.pointer)
        if let f = unary(node, inputs: inputs) {
            let source = x.pointer
            guard x.count == count else { return nil }
            switch node.opType {
            // The common ones specialized so that they inline and vectorize.
            case "Relu": return unary(Relu.self, source, out, count, parallel: parallel)
            case "Sigmoid": return unary(Sigmoid.self, source, out, count, parallel: parallel)
            case "Tanh": return unary(Tanh.self, source, out, count, parallel: parallel)
            case "Gelu" where node.string("approximate") == "tanh": return unary(GELU.self, source, out, count, parallel: parallel)
            case "Gelu": return unary(ExactGELU.self, source, out, count, parallel: parallel)
            case "Exp": return unary(Exponential.self, source, out, count, parallel: parallel)
            default: return { parallel.run(count, work: count, granule: 64) { range in for i in range { out[i] = f(source[i]) } } }
            }
        }
        switch node.opType {
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min":
            guard inputs.count == 2, let b = inputs[1] else { return nil }
            return binary(node.opType, x, b, output, parallel: parallel)
        case "Softmax":
            let rank = x.shape.count
            guard let axis = try? ReferenceOperators.normalize(node.int("axis") ?? (opset < 13 ? 1 : -1), rank) else { return nil }
            // Before opset 13 Softmax flattens the input to 2-D at the axis.
            let size = opset < 13 ? x.shape[axis...].reduce(1, *) : x.shape[axis]
            let inner = opset < 13 ? 1 : x.shape[(axis + 1)...].reduce(1, *)
            return softmax(x.pointer, out, rows: count / max(size * inner, 1), size: size, inner: inner, parallel: parallel)
        case "LayerNormalization":
            guard inputs.count > 1, let scale = inputs[1], let axis = try? ReferenceOperators.normalize(node.int("axis") ?? -1, x.shape.count) else { return nil }
            let bias = inputs.count > 2 ? inputs[2] : nil
            let size = x.shape[axis...].reduce(1, *)
            guard size > 0, size % scale.count == 0, bias.map({ size % $0.count == 0 }) ?? true else { return nil }
            return layerNorm(x.pointer, out, rows: count / size, size: size, scale: scale, bias: bias, epsilon: node.float("epsilon") ?? 1e-5,
                             parallel: parallel)
        case "Transpose":
            let perm = node.ints("perm") ?? Array((0..<x.shape.count).reversed())
            guard perm.sorted() == Array(0..<x.shape.count) else { return nil }
            return transpose(x, perm: perm, out)
        case "Concat":
            let parts = inputs.compactMap { $0 }
            guard let axis = try? ReferenceOperators.normalize(node.int("axis") ?? 0, output.shape.count) else { return nil }
            let outer = output.shape[..<axis].reduce(1, *)
            let blocks = parts.map { $0.shape[axis...].reduce(1, *) }
            let pointers = parts.map(\.pointer)
            let row = blocks.reduce(0, +)
            return {
                for o in 0..<outer {
                    var destination = out + o * row
                    for (part, block) in zip(pointers, blocks) {
                        destination.update(from: part + o * block, count: block)
                        destination += block
                    }
                }
            }
        case "GlobalAveragePool", "GlobalMaxPool":
            let plane = x.shape.dropFirst(2).reduce(1, *)
            let isMax = node.opType == "GlobalMaxPool"
            let source = x.pointer
            return {
                for p in 0..<count {
                    let total = VectorLoops.current.plane_reduce(source + p * plane, plane, isMax ? 1 : 0)
                    out[p] = isMax ? total : total / Float(plane)
                }
            }
        case "MaxPool", "AveragePool":
            guard node.output.count == 1 || node.output.dropFirst().allSatisfy(\.isEmpty),
                  let pooling = try? Pooling(node: node, input: x.shape, isMax: node.opType == "MaxPool") else { return nil }
            let source = x.pointer
            return { parallel.run(pooling.planes, work: count * 9) { pooling.run(source, out, planes: $0) } }
        default:
            return nil
        }
    }

    private static func unary<F: UnaryOperation>(_: F.Type, _ source: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ count: Int,
                                                 parallel: Parallel) -> Run {
        { parallel.run(count, work: count, granule: 64) { range in for i in range { out[i] = F.apply(source[i]) } } }
    }

    /// The element function of a unary operator (Clip and the activations with attributes
    /// included), nil for any other.
    static func unary(_ node: Onnx_NodeProto, inputs: [Operand?]) -> ((Float) -> Float)? {
        switch node.opType {
        case "Relu": return { max($0, 0) }
        case "Sigmoid": return { 1 / (1 + Epilogue.fastExp(-$0)) }
        case "Tanh": return { Epilogue.fastTanh($0) }
        case "Erf": return { Epilogue.fastErf($0) }
        case "Gelu": return node.string("approximate") == "tanh" ? { Epilogue.gelu($0) } : { Epilogue.geluErf($0) }
        case "Sqrt": return { $0.squareRoot() }
        case "Exp": return { Epilogue.fastExp($0) }
        case "Log": return { log($0) }
        case "Neg": return { -$0 }
        case "Abs": return { abs($0) }
        case "Reciprocal": return { 1 / $0 }
        case "LeakyRelu":
            let alpha = node.float("alpha") ?? 0.01
            return { $0 < 0 ? alpha * $0 : $0 }
        case "HardSigmoid":
            let (alpha, beta) = (node.float("alpha") ?? 0.2, node.float("beta") ?? 0.5)
            return { min(max(alpha * $0 + beta, 0), 1) }
        case "HardSwish": return { $0 * min(max($0 / 6 + 0.5, 0), 1) }
        case "Clip":
            // Bounds are constants here (the compiled model passes their buffers).
            let low = inputs.count > 1 ? inputs[1].map { $0.pointer[0] } ?? -.infinity : node.float("min") ?? -.infinity
            let high = inputs.count > 2 ? inputs[2].map { $0.pointer[0] } ?? .infinity : node.float("max") ?? .infinity
            return { min(max($0, low), high) }
        default: return nil
        }
    }

    private static func binary(_ op: String, _ a: Operand, _ b: Operand, _ output: Operand, parallel: Parallel) -> Run? {
        switch op {
        case "Add": binary(Add.self, a, b, output, parallel: parallel)
        case "Sub": binary(Sub.self, a, b, output, parallel: parallel)
        case "Mul": binary(Mul.self, a, b, output, parallel: parallel)
        case "Div": binary(Div.self, a, b, output, parallel: parallel)
        case "Max": binary(Maximum.self, a, b, output, parallel: parallel)
        case "Min": binary(Minimum.self, a, b, output, parallel: parallel)
        default: binary(Power.self, a, b, output, parallel: parallel)
        }
    }

    /// The loops of one binary operator, specialized for it (so they inline and vectorize):
    /// same shapes, one operand repeating along the leading axes (a bias, a scalar), or any
    /// broadcast through index tables worked out once.
    private static func binary<F: BinaryOperation>(_: F.Type, _ a: Operand, _ b: Operand, _ output: Operand, parallel: Parallel) -> Run {
        let (count, out, pa, pb) = (output.count, output.pointer, a.pointer, b.pointer)
        let (aCount, bCount) = (a.count, b.count)
        if a.shape == output.shape && b.shape == output.shape {
            return { parallel.run(count, work: count, granule: 64) { for i in $0 { out[i] = F.apply(pa[i], pb[i]) } } }
        }
        if a.shape == output.shape, ReferenceOperators.isTrailing(b.shape, of: output.shape), bCount > 0 {
            if bCount == 1 { return { let y = pb[0]; parallel.run(count, work: count, granule: 64) { for i in $0 { out[i] = F.apply(pa[i], y) } } } }
            let rows = count / bCount
            return {
                parallel.run(rows, work: count) { range in
                    for r in range {
                        let (x, z) = (pa + r * bCount, out + r * bCount)
                        for j in 0..<bCount { z[j] = F.apply(x[j], pb[j]) }
                    }
                }
            }
        }
        if b.shape == output.shape, ReferenceOperators.isTrailing(a.shape, of: output.shape), aCount > 0 {
            if aCount == 1 { return { let x = pa[0]; parallel.run(count, work: count, granule: 64) { for i in $0 { out[i] = F.apply(x, pb[i]) } } } }
            let rows = count / aCount
            return {
                parallel.run(rows, work: count) { range in
                    for r in range {
                        let (y, z) = (pb + r * aCount, out + r * aCount)
                        for j in 0..<aCount { z[j] = F.apply(pa[j], y[j]) }
                    }
                }
            }
        }
        let indexA = broadcastIndices(a.shape, to: output.shape), indexB = broadcastIndices(b.shape, to: output.shape)
        return { parallel.run(count, work: count, granule: 64) { for i in $0 { out[i] = F.apply(pa[Int(indexA[i])], pb[Int(indexB[i])]) } } }
    }

    /// For each element of a value of `shape`, the index it reads in an operand of `operand`'s
    /// shape broadcast to it.
    static func broadcastIndices(_ operand: [Int], to shape: [Int]) -> [Int32] {
        ReferenceOperators.broadcastOffsets(operand, to: shape).map { Int32($0) }
    }

    private static func softmax(_ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, size: Int, inner: Int,
                                parallel: Parallel) -> Run {
        if inner == 1 {
            // Rows contiguous (the last axis): three passes over each row in 16-lane vectors.
            return { parallel.run(rows, work: rows * size) { range in
                for r in range { VectorLoops.current.softmax_row(x + r * size, out + r * size, size) }
            } }
        }
        return { parallel.run(rows, work: rows * size * inner) { range in
            for r in range {
                for i in 0..<inner {
                    let (source, destination) = (x + r * size * inner + i, out + r * size * inner + i)
                    var largest = -Float.infinity
                    for t in 0..<size { largest = max(largest, source[t * inner]) }
                    var total: Float = 0
                    for t in 0..<size {
                        let e = Epilogue.fastExp(source[t * inner] - largest)
                        destination[t * inner] = e
                        total += e
                    }
                    let scale = 1 / total
                    for t in 0..<size { destination[t * inner] *= scale }
                }
            }
        } }
    }

    private static func layerNorm(_ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, size: Int, scale: Operand,
                                  bias: Operand?, epsilon: Float, parallel: Parallel) -> Run {
        let (gamma, gammaCount) = (scale.pointer, scale.count)
        let beta = bias?.pointer, betaCount = bias?.count ?? 1
        return { parallel.run(rows, work: rows * size) { range in
            for r in range {
                let (source, destination) = (x + r * size, out + r * size)
                if gammaCount == size, betaCount == size || beta == nil {
                    VectorLoops.current.layernorm_row(source, destination, size, gamma, beta, epsilon)
                    continue
                }
                var sum: Float = 0
                for i in 0..<size { sum += source[i] }
                let mean = sum / Float(size)
                var squares: Float = 0
                for i in 0..<size { let d = source[i] - mean; squares += d * d }
                let inverse = 1 / (squares / Float(size) + epsilon).squareRoot()
                if gammaCount == size, let beta, betaCount == size {
                    for i in 0..<size { destination[i] = (source[i] - mean) * inverse * gamma[i] + beta[i] }
                } else {
                    for i in 0..<size {
                        destination[i] = (source[i] - mean) * inverse * gamma[i % gammaCount] + (beta.map { $0[i % betaCount] } ?? 0)
                    }
                }
            }
        } }
    }

    private static func transpose(_ x: Operand, perm: [Int], _ out: UnsafeMutablePointer<Float>) -> Run {
        let shape = perm.map { x.shape[$0] }
        let sourceStrides = Tensor.strides(x.shape)
        let strides = perm.map { sourceStrides[$0] }
        let count = x.count
        let source = x.pointer
        // The last axis kept in place: copy runs of it.
        let run = perm.last == x.shape.count - 1 ? max(x.shape.last ?? 1, 1) : 1
        let outer = Array(shape.dropLast(run > 1 ? 1 : 0))
        let outerStrides = Array(strides.dropLast(run > 1 ? 1 : 0))
        return {
            guard count > 0 else { return }
            var position = [Int](repeating: 0, count: outer.count)
            var offset = 0
            var destination = out
            for _ in 0..<(count / run) {
                if run > 1 { destination.update(from: source + offset, count: run) } else { destination[0] = source[offset] }
                destination += run
                var axis = outer.count - 1
                while axis >= 0 {
                    position[axis] += 1
                    offset += outerStrides[axis]
                    if position[axis] < outer[axis] { break }
                    offset -= outerStrides[axis] * outer[axis]
                    position[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// Copies the elements `indices` picks (a Slice or Split output worked out once).
    static func gather(_ source: UnsafeMutablePointer<Float>, indices: [Int32], into out: UnsafeMutablePointer<Float>, parallel: Parallel) -> Run {
        { parallel.run(indices.count, work: indices.count, granule: 64) { for i in $0 { out[i] = source[Int(indices[i])] } } }
    }

    /// For each element of a selection (indices per axis) of a value of `shape`, its index.
    static func selectionIndices(_ selection: [[Int]], of shape: [Int]) -> [Int32] {
        let strides = Tensor.strides(shape)
        var indices: [Int32] = [0]
        for axis in shape.indices {
            indices = indices.flatMap { base in selection[axis].map { base + Int32($0 * strides[axis]) } }
        }
        return indices
    }
}

/// Element operations the loops are specialized for (static dispatch: they inline).
protocol BinaryOperation { static func apply(_ a: Float, _ b: Float) -> Float }
enum Add: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
enum Sub: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
enum Mul: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
enum Div: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
enum Maximum: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { max(a, b) } }
enum Minimum: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { min(a, b) } }
enum Power: BinaryOperation { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { pow(a, b) } }

protocol UnaryOperation { static func apply(_ x: Float) -> Float }
enum Relu: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { max(x, 0) } }
enum Sigmoid: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { 1 / (1 + Epilogue.fastExp(-x)) } }
enum Tanh: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { Epilogue.fastTanh(x) } }
enum GELU: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { Epilogue.gelu(x) } }
enum ExactGELU: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { Epilogue.geluErf(x) } }
enum Exponential: UnaryOperation { @inline(__always) static func apply(_ x: Float) -> Float { Epilogue.fastExp(x) } }

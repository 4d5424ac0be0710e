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
        // The common unary operators in the vector loops; the rest one value at a time.
        if let op = vectorUnary(node) {
            let source = x.pointer
            guard x.count == count else { return nil }
            return {
                parallel.run(count, work: count, granule: 64) { range in
                    VectorLoops.current.unary(op, source + range.lowerBound, out + range.lowerBound, range.count)
                }
            }
        }
        if let f = unary(node, inputs: inputs) {
            let source = x.pointer
            guard x.count == count else { return nil }
            return { parallel.run(count, work: count, granule: 64) { range in for i in range { out[i] = f(source[i]) } } }
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
            guard size > 0, scale.count > 0, size % scale.count == 0, bias.map({ $0.count > 0 && size % $0.count == 0 }) ?? true else { return nil }
            return layerNorm(x.pointer, out, rows: count / size, size: size, scale: scale, bias: bias, epsilon: node.float("epsilon") ?? 1e-5,
                             parallel: parallel)
        case "Expand":
            // Float data broadcast (grouped-query attention's keys and values repeated per head).
            return expand(x, output, parallel: parallel)
        case "RMSNormalization":
            guard inputs.count > 1, let scale = inputs[1], let axis = try? ReferenceOperators.normalize(node.int("axis") ?? -1, x.shape.count) else { return nil }
            let size = x.shape[axis...].reduce(1, *)
            guard size > 0, scale.count > 0, size % scale.count == 0 else { return nil }
            return rmsNorm(x.pointer, out, rows: count / size, size: size, scale: scale, epsilon: node.float("epsilon") ?? 1e-5, parallel: parallel)
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

    /// The operators CFloatKernels' `unary` computes, by its numbering.
    static func vectorUnary(_ node: Onnx_NodeProto) -> Int32? {
        switch node.opType {
        case "Relu": 1
        case "Gelu": node.string("approximate") == "tanh" ? 3 : 4
        case "Sigmoid": 5
        case "Tanh": 6
        case "Exp": 7
        default: nil
        }
    }

    /// The element function of a unary operator the vector loops do not compute (Clip and the
    /// activations with attributes included), nil for any other.
    static func unary(_ node: Onnx_NodeProto, inputs: [Operand?]) -> ((Float) -> Float)? {
        switch node.opType {
        case "Erf": return { Epilogue.fastErf($0) }
        case "Sqrt": return { $0.squareRoot() }
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
        default: return ReferenceOperators.elementwise(node)
        }
    }

    /// Same shapes, one operand repeating along the leading axes (a bias) or a scalar: rows of
    /// the vector loops (`binary`); any other broadcast one value at a time through index tables
    /// worked out once.
    private static func binary(_ op: String, _ a: Operand, _ b: Operand, _ output: Operand, parallel: Parallel) -> Run? {
        let code: Int32 = ["Add": 0, "Sub": 1, "Mul": 2, "Div": 3, "Max": 4, "Min": 5, "Pow": 6][op] ?? 6
        let (count, out, pa, pb) = (output.count, output.pointer, a.pointer, b.pointer)
        let (aCount, bCount) = (a.count, b.count)
        // Rows of `cols` outputs; an operand's row stride and step (0: repeated).
        var layout: (cols: Int, aRow: Int, aStep: Int, bRow: Int, bStep: Int)?
        if a.shape == output.shape && b.shape == output.shape {
            layout = (count, count, 1, count, 1)
        } else if a.shape == output.shape, ReferenceOperators.isTrailing(b.shape, of: output.shape), bCount > 0 {
            layout = bCount == 1 ? (count, count, 1, 0, 0) : (bCount, bCount, 1, 0, 1)
        } else if b.shape == output.shape, ReferenceOperators.isTrailing(a.shape, of: output.shape), aCount > 0 {
            layout = aCount == 1 ? (count, 0, 0, count, 1) : (aCount, 0, 1, aCount, 1)
        }
        if let layout, count > 0 {
            let rows = count / layout.cols
            if rows == 1 {
                // One row (same shapes, or a scalar operand): split the row itself over the threads.
                return {
                    parallel.run(count, work: count, granule: 64) { range in
                        let first = range.lowerBound
                        VectorLoops.current.binary(code, pa + first * layout.aStep, 0, layout.aStep, pb + first * layout.bStep, 0, layout.bStep,
                                                   out + first, 1, range.count)
                    }
                }
            }
            return {
                parallel.run(rows, work: count) { range in
                    let first = range.lowerBound
                    VectorLoops.current.binary(code, pa + first * layout.aRow, layout.aRow, layout.aStep, pb + first * layout.bRow, layout.bRow,
                                               layout.bStep, out + first * layout.cols, range.count, layout.cols)
                }
            }
        }
        let f: (Float, Float) -> Float
        switch op {
        case "Add": f = { $0 + $1 }
        case "Sub": f = { $0 - $1 }
        case "Mul": f = { $0 * $1 }
        case "Div": f = { $0 / $1 }
        case "Max": f = { max($0, $1) }
        case "Min": f = { min($0, $1) }
        default: f = { pow($0, $1) }
        }
        let indexA = broadcastIndices(a.shape, to: output.shape), indexB = broadcastIndices(b.shape, to: output.shape)
        return { parallel.run(count, work: count, granule: 64) { for i in $0 { out[i] = f(pa[Int(indexA[i])], pb[Int(indexB[i])]) } } }
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
                VectorLoops.current.softmax_rows(x + range.lowerBound * size, out + range.lowerBound * size, range.count, size)
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
        if gammaCount == size, betaCount == size || beta == nil {
            return { parallel.run(rows, work: rows * size) { range in
                VectorLoops.current.layernorm_rows(x + range.lowerBound * size, out + range.lowerBound * size, range.count, size, gamma, beta, epsilon)
            } }
        }
        return { parallel.run(rows, work: rows * size) { range in
            for r in range {
                let (source, destination) = (x + r * size, out + r * size)
                var sum: Float = 0
                for i in 0..<size { sum += source[i] }
                let mean = sum / Float(size)
                var squares: Float = 0
                for i in 0..<size { let d = source[i] - mean; squares += d * d }
                let inverse = 1 / (squares / Float(size) + epsilon).squareRoot()
                for i in 0..<size {
                    destination[i] = (source[i] - mean) * inverse * gamma[i % gammaCount] + (beta.map { $0[i % betaCount] } ?? 0)
                }
            }
        } }
    }

    /// Expand as block copies: the trailing axes where the input already has the output's sizes
    /// are one contiguous block, copied from where the leading axes' broadcast puts it.
    private static func expand(_ x: Operand, _ output: Operand, parallel: Parallel) -> Run? {
        let rank = output.shape.count
        guard x.shape.count <= rank else { return nil }
        let padded = Array(repeating: 1, count: rank - x.shape.count) + x.shape
        var kept = 0
        while kept < rank, padded[rank - 1 - kept] == output.shape[rank - 1 - kept] { kept += 1 }
        let block = output.shape.suffix(kept).reduce(1, *)
        let sources = ReferenceOperators.broadcastOffsets(Array(padded.prefix(rank - kept)), to: Array(output.shape.prefix(rank - kept))).map { $0 * block }
        let (source, out) = (x.pointer, output.pointer)
        return {
            parallel.run(sources.count, work: output.count) { range in
                for o in range { (out + o * block).update(from: source + sources[o], count: block) }
            }
        }
    }

    /// x / √(mean(x²) + ε) · γ per row; the squares summed in 16 lanes.
    private static func rmsNorm(_ x: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, rows: Int, size: Int, scale: Operand,
                                epsilon: Float, parallel: Parallel) -> Run {
        let (gamma, gammaCount) = (scale.pointer, scale.count)
        return { parallel.run(rows, work: rows * size) { range in
            for r in range {
                let (source, destination) = (x + r * size, out + r * size)
                var lanes = SIMD16<Float>()
                var i = 0
                while i + 16 <= size {
                    let v = UnsafeRawPointer(source + i).loadUnaligned(as: SIMD16<Float>.self)
                    lanes += v * v
                    i += 16
                }
                var squares = lanes.sum()
                while i < size { squares += source[i] * source[i]; i += 1 }
                let inverse = 1 / (squares / Float(size) + epsilon).squareRoot()
                if gammaCount == size {
                    for j in 0..<size { destination[j] = source[j] * inverse * gamma[j] }
                } else {
                    for j in 0..<size { destination[j] = source[j] * inverse * gamma[j % gammaCount] }
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

import CFloatKernels
import Foundation
@testable import Kernels
import Testing

/// CFloatKernels' vector loops in each variant this CPU runs, against double references and
/// against the portable variant. The kernels' own tests then run the variant the process picks
/// (`VectorLoops.current`) through whole layers.
@Suite("vector loop variants")
struct VectorLoopsTests {
    static let variants: [MicroKernelVariant] = [.generic, .avx2, .avx512]

    /// The table of `variant`, or nil with a visible message where this CPU (or TUNEBENCH_MAX_ISA) lacks it.
    static func table(_ variant: MicroKernelVariant) -> ckf_vector_ops? {
        guard variant == .generic || variant.isa.isAvailable, let table = VectorLoops.table(variant) else {
            print("skipping the \(variant.rawValue) vector loops: this CPU (or TUNEBENCH_MAX_ISA) lacks \(variant.isa.requirement.joined(separator: ", "))")
            return nil
        }
        return table
    }

    @Test("the process runs the widest variant it may", .serialized)
    func choice() {
        let expected: MicroKernelVariant = KernelISA.avx512bw.isAvailable && VectorLoops.table(.avx512) != nil ? .avx512
            : KernelISA.avx2.isAvailable ? .avx2 : .generic
        #expect(VectorLoops.variant == expected)
        #if arch(x86_64)
        #expect(VectorLoops.table(.avx2) != nil || !KernelISA.avx2.isAvailable)
        #else
        #expect(VectorLoops.table(.avx2) == nil && VectorLoops.table(.avx512) == nil)
        #endif
    }

    @Test("row and column biases and every activation, at every width a tile has", arguments: variants)
    func biasActivation(variant: MicroKernelVariant) throws {
        guard let loops = Self.table(variant) else { return }
        let rows = 3
        for activation in Epilogue.Activation.allCases {
            for n in [1, 5, 8, 13, 16, 24, 31, 48] {
                for (withRowBias, withColumnBias) in [(false, false), (true, false), (false, true), (true, true)] {
                    let ldc = n + 2
                    let start: [Float] = (0..<(rows * ldc)).map { (i: Int) -> Float in Float((i * 29) % 41) / 5 - 4 }
                    let rowBias: [Float] = [0.25, -0.5, 1]
                    let columnBias: [Float] = (0..<n).map { (i: Int) -> Float in Float((i * 7) % 11) / 10 - 0.5 }
                    var c = start
                    c.withUnsafeMutableBufferPointer { c in
                        loops.bias_activation(c.baseAddress, ldc, rows, n, withRowBias ? rowBias : nil, withColumnBias ? columnBias : nil,
                                              activation.vectorCode)
                    }
                    let epilogue = Epilogue(bias: false, activation: activation)
                    let wrong = (0..<(rows * ldc)).filter { index in
                        let (i, j) = (index / ldc, index % ldc)
                        // The two values between rows stay untouched.
                        guard j < n else { return c[index] != start[index] }
                        let sum = Double(start[index]) + (withRowBias ? Double(rowBias[i]) : 0) + (withColumnBias ? Double(columnBias[j]) : 0)
                        let expected = epilogue.activate(sum)
                        return !(abs(Double(c[index]) - expected) <= 2e-6 * max(1, abs(expected)))
                    }
                    #expect(wrong.isEmpty, "\(variant.rawValue) \(activation) n=\(n) biases \(withRowBias) \(withColumnBias): wrong at \(wrong.map { ($0 / ldc, $0 % ldc) })")
                }
            }
        }
    }

    @Test("softmax (its exp) over scores from -100 to 80 and a tail", arguments: variants)
    func softmax(variant: MicroKernelVariant) throws {
        guard let loops = Self.table(variant) else { return }
        let row: [Float] = (0..<37).map { (i: Int) -> Float in Float(i) * 5 - 100 }
        var out = [Float](repeating: -1, count: row.count)
        loops.softmax_rows(row, &out, 1, row.count)
        let largest = Double(row.max()!)
        let total = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - largest) }
        for (x, value) in zip(row, out) {
            let expected = Foundation.exp(Double(x) - largest) / total
            // Values that would be subnormal are 0 by contract.
            if expected < 1.2e-38 { #expect(value == 0); continue }
            #expect(abs(Double(value) - expected) <= 1e-6 * expected, "\(variant.rawValue) softmax at \(x): \(value) vs \(expected)")
        }
    }

    @Test("the model engine's element-wise operators, their tails and NaN", arguments: variants)
    func elementWise(variant: MicroKernelVariant) throws {
        guard let loops = Self.table(variant) else { return }
        let n = 37
        var x: [Float] = (0..<n).map { (i: Int) -> Float in Float((i * 29) % 41) / 4 - 5 }
        x[20] = .nan
        let references: [(code: Int32, name: String, f: (Double) -> Double)] = [
            (1, "relu", { max($0, 0) }), (2, "relu6", { min(max($0, 0), 6) }),
            (3, "gelu", { 0.5 * $0 * (1 + Foundation.tanh(0.797_884_560_802_865_4 * ($0 + 0.044_715 * $0 * $0 * $0))) }),
            (4, "gelu_erf", { 0.5 * $0 * (1 + Foundation.erf($0 / 2.0.squareRoot())) }), (5, "sigmoid", { 1 / (1 + Foundation.exp(-$0)) }),
            (6, "tanh", { Foundation.tanh($0) }), (7, "exp", { Foundation.exp($0) }),
        ]
        for reference in references {
            var y = [Float](repeating: 0, count: n + 1)
            loops.unary(reference.code, x, &y, n)
            let wrong = (0..<n).filter { i in
                guard !x[i].isNaN else { return !y[i].isNaN }
                let expected = reference.f(Double(x[i]))
                return !(abs(Double(y[i]) - expected) <= 2e-6 * max(1, abs(expected)))
            }
            #expect(wrong.isEmpty, "\(variant.rawValue) \(reference.name): wrong at \(wrong.map { (x[$0], y[$0]) })")
            #expect(y[n] == 0, "\(variant.rawValue) \(reference.name) wrote past the end")
        }
        // (rows, cols, a's row stride and step, b's): same shapes, b repeated per row, a scalar.
        let layouts: [(rows: Int, cols: Int, aRow: Int, aStep: Int, bRow: Int, bStep: Int)] = [(1, 37, 37, 1, 37, 1), (2, 18, 18, 1, 0, 1), (1, 37, 0, 0, 37, 1)]
        let b: [Float] = (0..<n).map { (i: Int) -> Float in Float((i * 7) % 11) / 3 + 0.5 }
        let operators: [(code: Int32, name: String, f: (Float, Float) -> Float)] = [
            (0, "add", { $0 + $1 }), (1, "sub", { $0 - $1 }), (2, "mul", { $0 * $1 }), (3, "div", { $0 / $1 }), (4, "max", { max($0, $1) }),
            (5, "min", { min($0, $1) }), (6, "pow", { pow(abs($0), $1) }),
        ]
        let a: [Float] = x.map { $0.isNaN ? 1 : abs($0) }
        for op in operators {
            for layout in layouts {
                var out = [Float](repeating: .nan, count: layout.rows * layout.cols)
                loops.binary(op.code, a, layout.aRow, layout.aStep, b, layout.bRow, layout.bStep, &out, layout.rows, layout.cols)
                let wrong = (0..<out.count).filter { index in
                    let (r, j) = (index / layout.cols, index % layout.cols)
                    let expected = op.f(a[r * layout.aRow + j * layout.aStep], b[r * layout.bRow + j * layout.bStep])
                    return !(abs(out[index] - expected) <= 1e-6 * max(1, abs(expected)))
                }
                #expect(wrong.isEmpty, "\(variant.rawValue) \(op.name) \(layout): wrong at \(wrong)")
            }
        }
    }

    @Test("every GEMV tile, with its row and column tails, and weight precision against the weights' values", arguments: variants)
    func gemv(variant: MicroKernelVariant) throws {
        guard let loops = Self.table(variant) else { return }
        // 10 columns: whole tiles of nb and a tail of 1-column tiles; 5 rows: whole mb and a tail.
        let (k, n, m) = (200, 10, 5)
        let source = FloatBuffer(random: k * n, seed: 7)
        for precision in Precision.allCases {
            for group in precision.isQuantized ? [0, 32] : [0] {
                let matrix = try WeightMatrix(source.pointer, rows: k, columns: n, precision: precision, group: group)
                let kp = GEMVWeights(matrix, tileColumns: 1).kp
                let x = FloatBuffer(count: m * kp)
                for r in 0..<m { for p in 0..<k { x.pointer[r * kp + p] = Float((r * 31 + p * 17) % 13) / 6 - 1 } }
                var expected = [Double](repeating: 0, count: m * n)
                for r in 0..<m {
                    for j in 0..<n {
                        for p in 0..<k { expected[r * n + j] += Double(x.pointer[r * kp + p]) * Double(matrix.value(row: p, column: j)) }
                    }
                }
                for tile in GEMVKernel.tiles {
                    let weights = GEMVWeights(matrix, tileColumns: tile.nb)
                    var y = [Float](repeating: .nan, count: m * n)
                    // Columns from the second tile on: the first stays unwritten.
                    let first = tile.nb
                    let computed = y.withUnsafeMutableBufferPointer { y in
                        var arguments = weights.arguments(m: m, columns: first..<n, mb: tile.mb, x: x.pointer, prefetchBytes: 256, output: y.baseAddress!)
                        return loops.gemv(precision.weightsCode, &arguments)
                    }
                    #expect(computed == 1)
                    let wrong = (0..<(m * n)).filter { index in
                        guard index % n >= first else { return !y[index].isNaN }
                        return !(abs(Double(y[index]) - expected[index]) <= 1e-4 * max(1, abs(expected[index])))
                    }
                    #expect(wrong.isEmpty, "\(variant.rawValue) \(precision) group \(group) tile \(tile.mb)x\(tile.nb): wrong at \(wrong.map { ($0 / n, $0 % n) })")
                }
            }
        }
        let weights = GEMVWeights(try WeightMatrix(source.pointer, rows: k, columns: n, precision: .fp32), tileColumns: 3)
        var y = [Float](repeating: 0, count: m * n)
        var arguments = weights.arguments(m: m, columns: 0..<n, mb: 3, x: source.pointer, prefetchBytes: 0, output: &y)
        #expect(loops.gemv(Int32(CKF_WEIGHTS_FP32), &arguments) == 0, "a tile there is no loop for computes nothing")
    }

    @Test("B panels in every precision equal the weights' values", arguments: variants)
    func packing(variant: MicroKernelVariant) throws {
        guard let loops = Self.table(variant) else { return }
        let (k, n, nr) = (40, 70, 16)
        let source = FloatBuffer(random: k * n, seed: 11)
        for precision in Precision.allCases {
            let matrix = try WeightMatrix(source.pointer, rows: k, columns: n, precision: precision, group: precision.isQuantized ? 8 : 0)
            var view = ckf_weight_view(storage: matrix.storage, columns: n, precision: precision.weightsCode, scales: matrix.scales,
                                       group_size: matrix.groupSize)
            // Rows 6 ..< 37 (an odd start: int4's high nibbles first), columns 3 ..< 67: four whole panels.
            let (k0, kc, n0, panels) = (5, 31, 3, 4)
            var out = [Float](repeating: .nan, count: panels * kc * nr)
            loops.pack_b_panels(&view, k0, kc, n0, panels, nr, &out)
            var wrong: [(panel: Int, k: Int, j: Int)] = []
            for panel in 0..<panels {
                for p in 0..<kc {
                    for j in 0..<nr where out[(panel * kc + p) * nr + j] != matrix.value(row: k0 + p, column: n0 + panel * nr + j) {
                        wrong.append((panel, p, j))
                    }
                }
            }
            #expect(wrong.isEmpty, "\(variant.rawValue) \(precision): \(wrong.count) values differ from the weights', first \(wrong.prefix(3))")
        }
    }

    @Test("convolution, depthwise, pooling, normalization and attention loops agree with the portable ones", arguments: variants)
    func sameAsPortable(variant: MicroKernelVariant) throws {
        guard variant != .generic, let loops = Self.table(variant), let portable = VectorLoops.table(.generic) else { return }
        let data: [Float] = (0..<4096).map { (i: Int) -> Float in Float((i * 37) % 101) / 50 - 1 }
        let filter: [Float] = (0..<(3 * 3 * 3 * 16)).map { (i: Int) -> Float in Float((i * 13) % 29) / 14 - 1 }
        let bias: [Float] = (0..<16).map { (i: Int) -> Float in Float(i) / 16 - 0.5 }
        func outputs(_ ops: ckf_vector_ops) -> [[Float]] {
            var results: [[Float]] = []
            // A 3-channel 3x3 direct convolution over 20x20 padded planes, relu: rows of 18 outputs
            // (16 lanes), two rows of 12 at once (8 + 8), and rows of 5 (pixel by pixel).
            for (width, rows) in [(18, 1), (12, 2), (5, 2)] {
                var conv = [Float](repeating: 0, count: 16 * 36)
                ops.conv_direct_row(&conv, 36, width, rows, 13, data, 400, 20, 3, 3, 3, 1, 1, filter, bias, 1)
                results.append(conv)
            }
            // Eighteen-wide depthwise rows (the 3x3 loop) and twelve-wide ones (the 8-lane one), relu6.
            for width in [18, 12, 5] {
                var depthwise = [Float](repeating: 0, count: 3 * width)
                ops.depthwise_rows(&depthwise, 3, width, data, 40, 2, 1, filter, 3, 3, 0.1, 2)
                results.append(depthwise)
            }
            var pooled = [Float](repeating: 0, count: 8 * 9)
            ops.pool2x2_plane(data, 20, &pooled, 8, 9, 1)
            results.append(pooled)
            var span = [Float](repeating: 0, count: 21)
            ops.pool_span(data, 50, 3, 3, 1, 2, &span, 21, 0, 1.0 / 9)
            results.append(span)
            results.append([ops.plane_reduce(data, 1000, 0), ops.plane_reduce(data, 1000, 1)])
            var normalized = [Float](repeating: 0, count: 3 * 77)
            let beta: [Float] = Array(repeating: bias, count: 5).flatMap { $0 }
            ops.layernorm_rows(data, &normalized, 3, 77, filter, beta, 1e-5)
            results.append(normalized)
            var strided = [Float](repeating: 0, count: 19)
            ops.copy_strided(&strided, data, 19, 3)
            results.append(strided)
            // Attention: 5 query rows, d 8, 20 keys (padded to 32), 8 values (padded to 16).
            var scores = [Float](repeating: 0, count: 4 * 32), tile = [Float](repeating: 0, count: 4 * 16)
            var attended = [Float](repeating: 0, count: 5 * 8)
            ops.attention_rows(data, 8, 1, 5, 8, Array(data[0..<(8 * 32)]), 20, 32, Array(data[1000..<(1000 + 20 * 16)]), 8, 16, nil, 0, 0.35, 0,
                               &scores, &tile, &attended, 8, 1)
            results.append(attended)
            return results
        }
        let (mine, reference) = (outputs(loops), outputs(portable))
        for (index, (a, b)) in zip(mine, reference).enumerated() {
            #expect(a.count == b.count)
            for (x, y) in zip(a, b) {
                #expect(abs(x - y) <= 1e-5 * max(1, abs(y)), "\(variant.rawValue) loop \(index): \(x) vs portable \(y)")
            }
        }
    }
}

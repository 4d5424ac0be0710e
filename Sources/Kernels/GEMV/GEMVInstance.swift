/// One configured skinny GEMM with its operands (same seeds as the GEMM, so both compute the
/// same product).
final class GEMVInstance: KernelInstance, BoundLayer, @unchecked Sendable {
    // `@unchecked Sendable`: team threads write disjoint column ranges of `c`; the rest is
    // read-only during a run.
    let kernel: GEMVKernel
    let mb: Int, nb: Int, threads: Int, prefetch: Int
    let a: FloatBuffer
    let x: FloatBuffer
    let weightsFP32: FloatBuffer
    let weights: GEMVWeights
    let bias: FloatBuffer
    let c: FloatBuffer
    let team: ParallelTeam

    /// - Parameter operands: the model's weights and bias; nil: deterministic random ones.
    init(kernel: GEMVKernel, config: KernelConfig, team: ParallelTeam, operands: LayerOperands? = nil) throws {
        self.kernel = kernel
        self.team = team
        mb = config.int("mb") ?? 1
        nb = config.int("nb") ?? 4
        threads = config.int("threads") ?? 1
        prefetch = config.int("prefetch") ?? 0
        a = FloatBuffer(random: kernel.m * kernel.k, seed: 1)
        weightsFP32 = try operands.map { try $0.weightsBuffer(rows: kernel.k, columns: kernel.n) } ?? FloatBuffer(random: kernel.k * kernel.n, seed: 2)
        let matrix = try WeightMatrix(weightsFP32.pointer, rows: kernel.k, columns: kernel.n, precision: kernel.precision, group: config.int("group") ?? 0)
        weights = GEMVWeights(matrix, tileColumns: nb)
        x = FloatBuffer(count: kernel.m * weights.kp)
        bias = try operands.map { try $0.biasBuffer(columns: kernel.n) } ?? FloatBuffer(random: kernel.n, seed: 3)
        c = FloatBuffer(count: kernel.m * kernel.n)
    }

    func run() {
        run(input: a.pointer, output: c.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let m = kernel.m, k = kernel.k, n = kernel.n, kp = weights.kp
        // x rows padded to Kp with zeros (the padded weights are zero too).
        for row in 0..<m { (x.pointer + row * kp).update(from: input + row * k, count: k) }
        // Team threads write disjoint column ranges of the output.
        nonisolated(unsafe) let output = output
        team.run(threads: threads) { index in
            guard index < threads else { return }
            let columns = ParallelTeam.chunk(index, of: threads, count: n, granule: nb)
            guard !columns.isEmpty else { return }
            self.compute(columns: columns, output: output)
            kernel.epilogue.applyColumns(output, ldc: n, rows: m, columns: columns, bias: bias.pointer)
        }
    }

    private func compute(columns: Range<Int>, output: UnsafeMutablePointer<Float>) {
        let m = kernel.m, n = kernel.n
        let source = weights.source
        let scaleStride = n
        var column = columns.lowerBound
        while column < columns.upperBound {
            let width = weights.tile(of: column).width
            var row = 0
            while row < m {
                // Tail columns run one at a time, and only 1-wide tiles exist for every row count.
                let height = m - row >= mb && width == nb ? mb : 1
                let arguments = GEMVTileArguments(
                    // Per-channel scales (group 0) are one group spanning the padded K.
                    kp: weights.kp, kEnd: (kernel.k + 15) / 16 * 16,
                    groupSize: source.scales == nil || source.group == 0 ? weights.kp : source.groupSize,
                    x: x.pointer + row * weights.kp, weights: weights.storage + column * weights.columnBytes,
                    unitShift: weights.unitShift, unitBytes: weights.unitBytes, tileColumns: width, prefetchBytes: prefetch,
                    scales: source.scales.map { $0 + column }, scaleStride: scaleStride,
                    y: output + row * n + column, ldy: n
                )
                switch source.precision {
                case .fp32: gemvFP32(mb: height, nb: width, arguments)
                case .fp16: gemvFP16(mb: height, nb: width, arguments)
                case .bf16: gemvBF16(mb: height, nb: width, arguments)
                case .int8: gemvInt8(mb: height, nb: width, arguments)
                case .int4: gemvInt4(mb: height, nb: width, arguments)
                }
                row += height
            }
            column += width
        }
    }

    func validate() -> Validation {
        GEMMReference.validate(
            output: c.pointer, a: a.pointer, w: weightsFP32.pointer, bias: bias.pointer,
            m: kernel.m, n: kernel.n, k: kernel.k, epilogue: kernel.epilogue, tolerance: kernel.precision.tolerance
        )
    }
}

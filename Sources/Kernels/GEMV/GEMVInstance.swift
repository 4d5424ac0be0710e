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

    /// The columns (whole tiles) through the vector loops, which walk the tiles themselves.
    private func compute(columns: Range<Int>, output: UnsafeMutablePointer<Float>) {
        let source = weights.source
        var arguments = weights.arguments(m: kernel.m, columns: columns, mb: mb, x: x.pointer, prefetchBytes: prefetch, output: output)
        let computed = VectorLoops.current.gemv(source.precision.weightsCode, &arguments)
        precondition(computed != 0, "no GEMV tile \(mb)x\(nb) for \(source.precision)")
    }

    func validate() -> Validation {
        GEMMReference.validate(
            output: c.pointer, a: a.pointer, w: weightsFP32.pointer, bias: bias.pointer,
            m: kernel.m, n: kernel.n, k: kernel.k, epilogue: kernel.epilogue, tolerance: kernel.precision.tolerance
        )
    }
}

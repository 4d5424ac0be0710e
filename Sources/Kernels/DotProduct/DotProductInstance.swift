import CIntegerKernels

/// C[M x N] = A[M x K] · W[K x N] (+ bias, + activation) through CIntegerKernels: A quantized
/// per row (s8, u8), rounded to bf16, or copied in fp32 (16-bit weights widened) on every call,
/// W repacked once, dot products in register tiles of `mr` rows x `nv` 16-column panels, K in blocks
/// of `kc` whose partial sums stay in C (a weight block is read once per block for all rows).
/// Threads take contiguous ranges of panels. The layers of GEMM (act ≠ fp32) and of the GEMV
/// (path=dp) both run here.
final class DotProductInstance: KernelInstance, BoundLayer, @unchecked Sendable {
    // `@unchecked Sendable`: threads write disjoint rows of the quantized activations and
    // disjoint column ranges of the output; the rest is read-only during a run.
    let m: Int, n: Int, k: Int
    let epilogue: Epilogue
    let precision: Precision
    let arithmetic: Arithmetic
    let isa: KernelISA
    let mr: Int, nv: Int, kc: Int, threads: Int
    let a: FloatBuffer
    let weightsFP32: FloatBuffer
    let weights: DotProductWeights
    let bias: FloatBuffer
    let c: FloatBuffer
    let team: ParallelTeam
    /// Quantized activations: M rows of kp bytes (bf16: kp 16-bit values).
    let activations: UnsafeMutableRawPointer
    let rowScales: FloatBuffer
    let rowZeros: FloatBuffer
    /// The fp32 partial sums when N is not a whole number of panels (else C holds them).
    let partial: FloatBuffer?

    init(m: Int, n: Int, k: Int, epilogue: Epilogue, precision: Precision, group: Int, arithmetic: Arithmetic, isa: KernelISA,
         mr: Int, nv: Int, kc: Int, threads: Int, team: ParallelTeam, operands: LayerOperands?) throws {
        let fits = switch arithmetic {
        case .fp32: precision == .fp16 || precision == .bf16
        case .s8, .u8: precision.isQuantized
        case .bf16: precision == .bf16
        }
        guard fits else { throw KernelError.invalidConfig("act=\(arithmetic.rawValue) does not go with \(precision.rawValue) weights in the dot-product kernels") }
        guard isa.isAvailable else { throw KernelError.unsupported("isa=\(isa.rawValue) does not run on this CPU") }
        guard kc > 0, kc % 64 == 0 else { throw KernelError.invalidConfig("kc=\(kc): the dot-product kernels take K blocks in multiples of 64") }
        (self.m, self.n, self.k) = (m, n, k)
        self.epilogue = epilogue
        self.precision = precision
        self.arithmetic = arithmetic
        self.isa = isa
        (self.mr, self.nv, self.kc, self.threads) = (mr, nv, kc, threads)
        self.team = team
        a = FloatBuffer(random: m * k, seed: 1)
        weightsFP32 = try operands.map { try $0.weightsBuffer(rows: k, columns: n) } ?? FloatBuffer(random: k * n, seed: 2)
        let matrix = try WeightMatrix(weightsFP32.pointer, rows: k, columns: n, precision: precision, group: group)
        weights = DotProductWeights(matrix)
        bias = try operands.map { try $0.biasBuffer(columns: n) } ?? FloatBuffer(random: n, seed: 3)
        c = FloatBuffer(count: m * n)
        let elementBytes = switch arithmetic {
        case .fp32: 4
        case .bf16: 2
        case .s8, .u8: 1
        }
        activations = .allocate(byteCount: max(64, m * weights.kp * elementBytes), alignment: 64)
        rowScales = FloatBuffer(count: m)
        rowZeros = FloatBuffer(count: m)
        partial = n % 16 == 0 ? nil : FloatBuffer(count: m * weights.panels * 16)
    }

    deinit { activations.deallocate() }

    func run() {
        run(input: a.pointer, output: c.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let (m, k, kp) = (m, k, weights.kp)
        nonisolated(unsafe) let input = input
        nonisolated(unsafe) let output = output
        // The activations: by rows over the team when there are enough to pay for the wake-up.
        let prepareThreads = m * k >= 1 << 16 ? threads : 1
        team.run(threads: prepareThreads) { index in
            guard index < prepareThreads else { return }
            let rows = ParallelTeam.chunk(index, of: prepareThreads, count: m)
            guard !rows.isEmpty else { return }
            if self.arithmetic == .fp32 {
                // Rows padded to kp with zeros: the kernels step through the padded K.
                let rowsPointer = self.activations.assumingMemoryBound(to: Float.self)
                for row in rows {
                    (rowsPointer + row * kp).update(from: input + row * k, count: k)
                    (rowsPointer + row * kp + k).update(repeating: 0, count: kp - k)
                }
            } else if self.arithmetic == .bf16 {
                ckq_bf16_rows(input, Int64(k), Int64(k), Int64(kp), Int64(rows.lowerBound), Int64(rows.upperBound),
                              self.activations.assumingMemoryBound(to: UInt16.self), Int64(kp))
            } else {
                ckq_quantize_rows(self.isa.code, self.arithmetic == .u8 ? 1 : 0, input, Int64(k), Int64(k), Int64(kp),
                                  Int64(rows.lowerBound), Int64(rows.upperBound), self.activations.assumingMemoryBound(to: UInt8.self),
                                  Int64(kp), self.rowScales.pointer, self.rowZeros.pointer)
            }
        }
        team.run(threads: threads) { index in
            guard index < self.threads else { return }
            let panels = ParallelTeam.chunk(index, of: self.threads, count: self.weights.panels, granule: self.nv)
            guard !panels.isEmpty else { return }
            self.compute(panels: panels, output: output)
        }
    }

    private func compute(panels: Range<Int>, output: UnsafeMutablePointer<Float>) {
        let (accumulator, ldacc) = partial.map { ($0.pointer, weights.panels * 16) } ?? (output, n)
        let kp = weights.kp
        withUnsafePointer(to: weights.packed) { packed in
            for k0 in stride(from: 0, to: kp, by: kc) {
                let k1 = min(kp, k0 + kc)
                if arithmetic == .fp32 {
                    ckq_gemm_widen_block(isa.code, packed, activations.assumingMemoryBound(to: Float.self), Int64(kp), Int64(m),
                                         Int64(panels.lowerBound), Int64(panels.upperBound), Int64(k0), Int64(k1), k0 == 0 ? 1 : 0,
                                         accumulator, Int64(ldacc), Int32(mr), Int32(nv))
                } else if arithmetic == .bf16 {
                    ckq_gemm_bf16_block(isa.code, packed, activations.assumingMemoryBound(to: UInt16.self), Int64(kp), Int64(m),
                                        Int64(panels.lowerBound), Int64(panels.upperBound), Int64(k0), Int64(k1), k0 == 0 ? 1 : 0,
                                        accumulator, Int64(ldacc), Int32(mr), Int32(nv))
                } else {
                    ckq_gemm_int_block(isa.code, packed, activations.assumingMemoryBound(to: UInt8.self), Int64(kp), Int64(m),
                                       Int64(panels.lowerBound), Int64(panels.upperBound), Int64(k0), Int64(k1), k0 == 0 ? 1 : 0,
                                       accumulator, Int64(ldacc), Int32(mr), Int32(nv))
                }
            }
            let columns = (panels.lowerBound * 16)..<min(n, panels.upperBound * 16)
            if arithmetic == .bf16 || arithmetic == .fp32 {
                if let partial {
                    for row in 0..<m {
                        (output + row * n + columns.lowerBound).update(from: partial.pointer + row * ldacc + columns.lowerBound, count: columns.count)
                    }
                }
            } else {
                ckq_finish_int(packed, accumulator, Int64(ldacc), Int64(m), Int64(columns.lowerBound), Int64(columns.upperBound),
                               rowScales.pointer, rowZeros.pointer, output, Int64(n))
            }
            epilogue.applyColumns(output, ldc: n, rows: m, columns: columns, bias: bias.pointer)
        }
    }

    func validate() -> Validation {
        GEMMReference.validate(
            output: c.pointer, a: a.pointer, w: weightsFP32.pointer, bias: bias.pointer,
            m: m, n: n, k: k, epilogue: epilogue, tolerance: precision.tolerance
        )
    }
}

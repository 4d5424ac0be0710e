/// A configuration of the dot-product kernels (act, isa) with its operands: random ones (the
/// same seeds as the GEMM, so both compute the same product) or a model's, and the fp32
/// reference to validate against. The GEMM's layers (isa ≠ build) and the GEMV's (path=dp)
/// both run here; the computing is PortableKernels' `DotProductLayer`, with the build's vector
/// epilogue.
final class DotProductInstance: KernelInstance, BoundLayer {
    let layer: DotProductLayer
    let epilogue: Epilogue
    let a: FloatBuffer
    let weightsFP32: FloatBuffer
    let bias: FloatBuffer
    let c: FloatBuffer

    init(m: Int, n: Int, k: Int, epilogue: Epilogue, precision: Precision, group: Int, arithmetic: Arithmetic, isa: KernelISA,
         mr: Int, nv: Int, kc: Int, threads: Int, team: ParallelTeam, operands: LayerOperands?) throws {
        self.epilogue = epilogue
        a = FloatBuffer(random: m * k, seed: 1)
        weightsFP32 = try operands.map { try $0.weightsBuffer(rows: k, columns: n) } ?? FloatBuffer(random: k * n, seed: 2)
        bias = try operands.map { try $0.biasBuffer(columns: n) } ?? FloatBuffer(random: n, seed: 3)
        c = FloatBuffer(count: m * n)
        layer = try DotProductLayer(
            m: m, n: n, k: k, weights: weightsFP32.pointer, bias: Array(UnsafeBufferPointer(start: bias.pointer, count: n)), epilogue: epilogue,
            precision: precision, group: group, arithmetic: arithmetic, isa: isa, mr: mr, nv: nv, kc: kc, threads: threads, team: team,
            applyEpilogue: { output, ldc, rows, columns, bias in epilogue.applyColumns(output, ldc: ldc, rows: rows, columns: columns, bias: bias) }
        )
    }

    func run() {
        layer.run(input: a.pointer, output: c.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        layer.run(input: input, output: output)
    }

    func validate() -> Validation {
        GEMMReference.validate(
            output: c.pointer, a: a.pointer, w: weightsFP32.pointer, bias: bias.pointer,
            m: layer.m, n: layer.n, k: layer.k, epilogue: epilogue, tolerance: layer.precision.tolerance
        )
    }
}

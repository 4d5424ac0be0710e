import Foundation

/// One configured GEMM with its operands: inputs are random (fixed seeds), weights converted to
/// the kernel's precision once, and per-thread packing buffers allocated up front.
final class GEMMInstance: KernelInstance, BoundLayer {
    let kernel: GEMMKernel
    let a: FloatBuffer
    let weightsFP32: FloatBuffer
    let weights: WeightMatrix
    let bias: FloatBuffer
    let c: FloatBuffer
    let team: ParallelTeam
    let driver: GEMMDriver

    /// - Parameter operands: the model's weights and bias; nil: deterministic random ones.
    init(kernel: GEMMKernel, config: KernelConfig, team: ParallelTeam, operands: LayerOperands? = nil) throws {
        self.kernel = kernel
        self.team = team
        a = FloatBuffer(random: kernel.m * kernel.k, seed: 1)
        weightsFP32 = try operands.map { try $0.weightsBuffer(rows: kernel.k, columns: kernel.n) } ?? FloatBuffer(random: kernel.k * kernel.n, seed: 2)
        weights = try WeightMatrix(weightsFP32.pointer, rows: kernel.k, columns: kernel.n, precision: kernel.precision, group: config.int("group") ?? 0)
        bias = try operands.map { try $0.biasBuffer(columns: kernel.n) } ?? FloatBuffer(random: kernel.n, seed: 3)
        c = FloatBuffer(count: kernel.m * kernel.n)
        driver = GEMMDriver(config: config, m: kernel.m, n: kernel.n, k: kernel.k, epilogue: kernel.epilogue, weights: weights)
    }

    func run() {
        run(input: a.pointer, output: c.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        driver.run(a: input, weights: weights, bias: bias.pointer, c: output, team: team)
    }

    func validate() -> Validation {
        GEMMReference.validate(
            output: c.pointer, a: a.pointer, w: weightsFP32.pointer, bias: bias.pointer,
            m: kernel.m, n: kernel.n, k: kernel.k, epilogue: kernel.epilogue, tolerance: kernel.precision.tolerance
        )
    }
}

/// The reference: double accumulation over the fp32 inputs (the unquantized weights), on every
/// row and column of small outputs and an even sample of large ones. Public so that peers
/// (OpenBLAS) are checked the same way.
public enum GEMMReference {
    static func sample(_ count: Int, limit: Int) -> [Int] {
        guard count > limit else { return Array(0..<count) }
        return (0..<limit).map { $0 * (count - 1) / (limit - 1) }
    }

    public static func validate(
        output: UnsafePointer<Float>, a: UnsafePointer<Float>, w: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        m: Int, n: Int, k: Int, epilogue: Epilogue, tolerance: Double
    ) -> Validation {
        var errors = ErrorAccumulator()
        for row in sample(m, limit: 48) {
            for column in sample(n, limit: 384) {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[row * k + p]) * Double(w[p * n + column]) }
                if epilogue.bias, let bias { sum += Double(bias[column]) }
                errors.add(output: output[row * n + column], reference: epilogue.activate(sum))
            }
        }
        return errors.validation(tolerance: tolerance)
    }
}

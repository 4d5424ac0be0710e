/// A layer's own operands, to bind a kernel configuration to a model instead of random data.
public struct LayerOperands: Sendable {
    /// K x N row-major fp32 (conv2d: the GEMM operand [C·R·S, K_out]); converted to the
    /// kernel's precision when bound.
    public var weights: [Float]
    /// N values (conv2d: K_out); nil: zeros (used only when the epilogue has a bias).
    public var bias: [Float]?

    public init(weights: [Float], bias: [Float]? = nil) {
        self.weights = weights
        self.bias = bias
    }

    func weightsBuffer(rows: Int, columns: Int) throws -> FloatBuffer {
        guard weights.count == rows * columns else {
            throw KernelError.invalidConfig("the layer's weights have \(weights.count) values, \(rows) x \(columns) expected")
        }
        return FloatBuffer(copying: weights)
    }

    func biasBuffer(columns: Int) throws -> FloatBuffer {
        guard let bias else { return FloatBuffer(count: columns) }
        guard bias.count == columns else { throw KernelError.invalidConfig("the layer's bias has \(bias.count) values, \(columns) expected") }
        return FloatBuffer(copying: bias)
    }
}

/// A kernel configuration bound to a model's weights: what a deployment runs on activations.
public protocol BoundLayer: AnyObject {
    /// gemm, gemv: input M x K → output M x N, row-major; conv2d: input N x C x H x W →
    /// output N x K x OH x OW.
    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>)
}

/// A product of two activations (matmul): C[M x N] = A[M x K] · B[K x N], B given per call.
public protocol BoundProduct: AnyObject {
    func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>)
}

/// A kernel whose configurations can be bound to a model's own weights (gemm, gemv, conv2d).
public protocol WeightBindingKernel: TunableKernel {
    func bind(_ config: KernelConfig, operands: LayerOperands, team: ParallelTeam) throws -> any BoundLayer
}

extension GEMMKernel: WeightBindingKernel {
    /// This problem's configuration bound to a model's weights (not for matmul: see `bindProduct`).
    public func bind(_ config: KernelConfig, operands: LayerOperands, team: ParallelTeam) throws -> any BoundLayer {
        guard !activationB else { throw KernelError.invalidConfig("matmul multiplies two activations: bind it with bindProduct") }
        return try make(config, team: team, operands: operands)
    }

    /// A matmul configuration: B converted (packed) on every call, as it changes every call.
    public func bindProduct(_ config: KernelConfig, bias: [Float]? = nil, team: ParallelTeam) throws -> any BoundProduct {
        try space.validate(config)
        return try MatMulProduct(kernel: self, config: config, bias: LayerOperands(weights: [], bias: bias).biasBuffer(columns: n), team: team)
    }
}

extension GEMVKernel: WeightBindingKernel {
    public func bind(_ config: KernelConfig, operands: LayerOperands, team: ParallelTeam) throws -> any BoundLayer {
        try make(config, team: team, operands: operands)
    }
}

extension Conv2DKernel: WeightBindingKernel {
    public func bind(_ config: KernelConfig, operands: LayerOperands, team: ParallelTeam) throws -> any BoundLayer {
        let config = completing(config)
        try Arithmetic.checkRunnable(config)
        try space.validate(config)
        return try Conv2DInstance(kernel: self, config: config, team: team, operands: operands)
    }
}

/// The GEMM driver with B given per call: each call views B as an fp32 weight matrix (no copy)
/// and runs the loop nest, which packs it per block (pack_b=1) or reads it in place (pack_b=0).
final class MatMulProduct: BoundProduct {
    let kernel: GEMMKernel
    let driver: GEMMDriver
    let bias: FloatBuffer
    let team: ParallelTeam

    init(kernel: GEMMKernel, config: KernelConfig, bias: FloatBuffer, team: ParallelTeam) throws {
        self.kernel = kernel
        self.bias = bias
        self.team = team
        var gemmConfig = config
        gemmConfig.kernel = "gemm"
        // pack_b=2 is not in a matmul's space, so the driver never reads these at set-up.
        let placeholder = FloatBuffer(count: kernel.k * kernel.n)
        driver = GEMMDriver(config: gemmConfig, m: kernel.m, n: kernel.n, k: kernel.k, epilogue: kernel.epilogue,
                            weights: try WeightMatrix(placeholder.pointer, rows: kernel.k, columns: kernel.n, precision: .fp32))
    }

    func run(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let matrix = WeightMatrix(viewing: b, rows: kernel.k, columns: kernel.n)
        driver.run(a: a, weights: matrix, bias: bias.pointer, c: c, team: team)
    }
}

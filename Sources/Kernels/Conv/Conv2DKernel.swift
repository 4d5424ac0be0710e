/// conv2d (NCHW) as im2col + the GEMM: each chunk of output pixels becomes a [pixels x C·R·S]
/// matrix multiplied by the weights as [C·R·S x K], then written back channel-major. Tunes the
/// GEMM's parameters plus the im2col chunk (how many output pixels per GEMM call). A grouped
/// convolution runs one such GEMM per group (its channels' im2col times its filters). With
/// reduced-precision weights the GEMM's `act`/`isa` apply too (layout=pk): the im2col rows are
/// then quantized (or rounded to bf16) for CIntegerKernels' dot products.
public struct Conv2DKernel: TunableKernel {
    public let shape: Conv2DShape
    public let epilogue: Epilogue
    public let precision: Precision
    public let limits: MachineSizes
    let gemm: GEMMKernel

    public init(shape: Conv2DShape, epilogue: Epilogue = .none, precision: Precision = .fp32, limits: MachineSizes) throws {
        self.shape = shape
        self.epilogue = epilogue
        self.precision = precision
        self.limits = limits
        gemm = try GEMMKernel(m: shape.pixels, n: shape.outChannels / shape.groups, k: shape.reduction, epilogue: epilogue, precision: precision,
                              limits: limits)
    }

    public var name: String { "conv2d" }

    public var flops: Double { Double(shape.batch * shape.groups) * gemm.flops }

    public func minimumBytes(_ config: KernelConfig) -> Double {
        let input = 4 * Double(shape.batch * shape.channels * shape.height * shape.width)
        let output = 4 * Double(shape.batch * shape.outChannels * shape.pixels)
        return input + output + precision.bytesPerWeight * Double(shape.reduction * shape.outChannels)
    }

    public var space: ParameterSpace {
        var space = gemm.space
        space.kernel = "conv2d"
        space.parameters.append(.init("chunk", [0, 64, 256, 1024, 4096], help: "output pixels per im2col + GEMM step (0: all of an image)"))
        let layouts: [ParameterValue] = precision != .fp32 ? ["pk"] : shape.groups == 1 ? ["pk", "kp", "direct"] : ["pk", "kp"]
        space.parameters.append(.init("layout", layouts, help: Self.layoutHelp))
        space.constraints = space.constraints.map { constraint in
            .init(constraint.description) { config in
                var asGEMM = config
                asGEMM.kernel = "gemm"
                asGEMM.values["chunk"] = nil
                asGEMM.values["layout"] = nil
                // kp's B is the im2col matrix, not the weights: the GEMM's rules on packing
                // weights do not apply to it.
                if config.text("layout") != "pk" { asGEMM.values["pack_b"] = 1 }
                return constraint.isSatisfied(asGEMM)
            }
        }
        space.constraints.append(.init("layout=pk: pack_b is 1 or 2 (the weights are packed)") { config in
            config.text("layout") != "pk" || config.int("pack_b") != 0
        })
        // The direct loops use none of the GEMM's parameters: one point per thread count.
        let canonical = AnalyticalDefaults.conv2d(limits: limits, precision: precision)
        space.constraints.append(.init("layout=direct: chunk=0 and the GEMM's parameters at their defaults (the direct loops use none of them)") { config in
            config.text("layout") != "direct" || (config.int("chunk") == 0 && Self.gemmParameters.allSatisfy { config.values[$0] == canonical.values[$0] })
        })
        space.constraints.append(.init("layout=kp: pack_a=1 (the filters are packed once) and pack_b is 0 or 1 (im2col read in place or packed)") { config in
            config.text("layout") != "kp" || (config.int("pack_a") == 1 && config.int("pack_b") != 2)
        })
        return space
    }

    static let layoutHelp = "pk: the GEMM computes pixels x channels, scattered into NCHW; kp (fp32): channels x pixels written in place, "
        + "1x1 convolutions read the input in place; direct (fp32, no groups): 16 output channels x 16 pixels per step from the padded input, no im2col"
    static let gemmParameters = ["mr", "nr", "kc", "mc", "nc", "loop", "order", "pack_a", "pack_b"]

    /// A configuration recorded before `layout` existed ran the pixels x channels product.
    static func completingLayout(_ config: KernelConfig) -> KernelConfig {
        var config = config
        if config.kernel == "conv2d", config.values["layout"] == nil { config.values["layout"] = "pk" }
        return config
    }

    /// The GEMM's default plus 256-pixel chunks (measured on 1,64,56,56,64,3,3,1,1: 40 GFLOP/s
    /// against 19 for a whole image at once, whose im2col matrix falls out of L2); in fp32
    /// without groups, in builds with 16-lane vectors, the direct loops instead (one thread,
    /// fp32, bias+relu: 1.8x the tuned kp on 1,3,32,32,16,3,3,1,1, 1.45x on 1,16,16,16,32,3,3,2,1,
    /// 1.6–3.8x the kp default on 3x3 and 1x1 shapes with 16–64 channels, measured). Elsewhere
    /// their 16 accumulators of 16 lanes would not fit in the registers.
    public var defaultConfig: KernelConfig {
        var config = completing(AnalyticalDefaults.conv2d(limits: limits, precision: precision))
        if precision == .fp32, shape.groups == 1, GEMMKernel.wideVectors {
            config.values["layout"] = "direct"
            config.values["chunk"] = 0
        }
        return config
    }

    /// The GEMM's dot-product configurations (int8 and int4 on a VNNI machine, AMX from 16
    /// pixels) on 256-pixel chunks, measured first by a search, as for the GEMM.
    public var alternativeDefaults: [KernelConfig] {
        let canonical = defaultConfig
        return gemm.alternativeDefaults.compactMap { dp in
            var config = dp
            config.kernel = "conv2d"
            config.values["chunk"] = canonical.values["chunk"]
            config.values["layout"] = "pk"
            return space.isValid(config) ? config : nil
        }
    }

    /// A configuration recorded before `layout` (pk) or `act` (fp32 arithmetic) existed.
    func completing(_ config: KernelConfig) -> KernelConfig {
        gemm.completing(Self.completingLayout(config))
    }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        let config = completing(config)
        try Arithmetic.checkRunnable(config)
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else { throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)") }
        return try Conv2DInstance(kernel: self, config: config, team: team)
    }
}

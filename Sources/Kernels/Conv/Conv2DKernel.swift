/// conv2d (NCHW) as im2col + the GEMM: each chunk of output pixels becomes a [pixels x C·R·S]
/// matrix multiplied by the weights as [C·R·S x K], then written back channel-major. Tunes the
/// GEMM's parameters plus the im2col chunk (how many output pixels per GEMM call). A grouped
/// convolution runs one such GEMM per group (its channels' im2col times its filters).
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
        space.parameters.append(.init("layout", precision == .fp32 ? ["pk", "kp"] : ["pk"], help: Self.layoutHelp))
        space.constraints = space.constraints.map { constraint in
            .init(constraint.description) { config in
                var asGEMM = config
                asGEMM.kernel = "gemm"
                asGEMM.values["chunk"] = nil
                asGEMM.values["layout"] = nil
                // kp's B is the im2col matrix, not the weights: the GEMM's rules on packing
                // weights do not apply to it.
                if config.text("layout") == "kp" { asGEMM.values["pack_b"] = 1 }
                return constraint.isSatisfied(asGEMM)
            }
        }
        space.constraints.append(.init("layout=pk: pack_b is 1 or 2 (the weights are packed)") { config in
            config.text("layout") == "kp" || config.int("pack_b") != 0
        })
        space.constraints.append(.init("layout=kp: pack_a=1 (the filters are packed once) and pack_b is 0 or 1 (im2col read in place or packed)") { config in
            config.text("layout") != "kp" || (config.int("pack_a") == 1 && config.int("pack_b") != 2)
        })
        return space
    }

    static let layoutHelp = "pk: the GEMM computes pixels x channels, scattered into NCHW; kp (fp32): channels x pixels written in place, "
        + "1x1 convolutions read the input in place"

    /// A configuration recorded before `layout` existed ran the pixels x channels product.
    static func completingLayout(_ config: KernelConfig) -> KernelConfig {
        var config = config
        if config.kernel == "conv2d", config.values["layout"] == nil { config.values["layout"] = "pk" }
        return config
    }

    /// The GEMM's default plus 256-pixel chunks (measured on 1,64,56,56,64,3,3,1,1: 40 GFLOP/s
    /// against 19 for a whole image at once, whose im2col matrix falls out of L2).
    public var defaultConfig: KernelConfig { AnalyticalDefaults.conv2d(limits: limits, precision: precision) }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        let config = Self.completingLayout(config)
        try space.validate(config)
        let threads = config.int("threads") ?? 1
        guard threads <= team.size else { throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)") }
        return try Conv2DInstance(kernel: self, config: config, team: team)
    }
}

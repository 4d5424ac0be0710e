/// Depthwise 2-D convolution (NCHW, one R x S filter per channel, MobileNet's and EfficientNet's
/// 3x3 stages): computed directly, since each output channel reads one input channel and there
/// is no reduction across channels for a GEMM to exploit (im2col would copy R·S times the
/// input to multiply it by a diagonal). An output row accumulates R·S shifted input rows, a
/// loop the compiler vectorizes along the row. Tunes the threads and how many output rows one
/// task takes (the work is split across threads by (image, channel, row block)). fp32 only.
public struct DepthwiseConv2DKernel: TunableKernel {
    public let shape: Conv2DShape
    public let epilogue: Epilogue
    public let limits: MachineSizes

    public init(shape: Conv2DShape, epilogue: Epilogue = .none, precision: Precision = .fp32, limits: MachineSizes) throws {
        guard shape.outChannels == shape.channels else {
            throw KernelError.invalidConfig("dwconv2d has as many output channels as input channels: \(shape)")
        }
        guard precision == .fp32 else { throw KernelError.unsupported("dwconv2d stores its weights in fp32 only, not \(precision.rawValue)") }
        self.shape = shape
        self.epilogue = epilogue
        self.limits = limits
    }

    public var name: String { "dwconv2d" }

    public var flops: Double {
        2 * Double(shape.batch) * Double(shape.pixels) * Double(shape.channels) * Double(shape.kernelHeight * shape.kernelWidth)
    }

    public func minimumBytes(_ config: KernelConfig) -> Double {
        let planes = Double(shape.batch * shape.channels)
        return 4 * (planes * Double(shape.height * shape.width + shape.pixels) + Double(shape.channels * shape.kernelHeight * shape.kernelWidth))
    }

    public var space: ParameterSpace {
        ParameterSpace(kernel: "dwconv2d", parameters: [
            .init("threads", (1...max(1, limits.cores)).map { .int($0) }),
            .init("rows", [0, 1, 2, 4, 8, 16], help: "output rows per task (0: a whole channel plane)"),
        ])
    }

    public var defaultConfig: KernelConfig { AnalyticalDefaults.depthwise() }

    public func instantiate(_ config: KernelConfig, team: ParallelTeam) throws -> any KernelInstance {
        try DepthwiseConv2DInstance(kernel: self, config: config, team: team)
    }
}

extension DepthwiseConv2DKernel: WeightBindingKernel {
    /// Bound to a model's weights: [C, R, S] (the ONNX [C, 1, R, S] flattened) and [C] bias.
    public func bind(_ config: KernelConfig, operands: LayerOperands, team: ParallelTeam) throws -> any BoundLayer {
        try DepthwiseConv2DInstance(kernel: self, config: config, team: team, operands: operands)
    }
}

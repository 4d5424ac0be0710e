extension Layer {
    /// Multiply-adds x 2 of one execution.
    public var flops: Double {
        switch operation {
        case .gemm, .matmul: return 2 * Double(m ?? 0) * Double(n ?? 0) * Double(k ?? 0)
        case .conv2d:
            guard let c = conv else { return 0 }
            return 2 * Double(c.batch) * Double(c.pixels) * Double(c.outChannels) * Double(c.reduction)
        case .dwconv2d:
            guard let c = conv else { return 0 }
            return 2 * Double(c.batch) * Double(c.pixels) * Double(c.channels) * Double(c.kernelHeight * c.kernelWidth)
        }
    }

    /// The fewest bytes one execution moves: activations read and written once in fp32, the
    /// weights once in `precision` (matmul's B is an fp32 activation).
    public func minimumBytes(precision: Precision = .fp32) -> Double {
        switch operation {
        case .gemm, .matmul:
            let (m, n, k) = (Double(m ?? 0), Double(n ?? 0), Double(k ?? 0))
            let weightBytes = operation == .matmul ? 4 : precision.bytesPerWeight
            return 4 * (m * k + m * n) + weightBytes * k * n
        case .conv2d, .dwconv2d:
            guard let c = conv else { return 0 }
            let input = Double(c.batch * c.channels * c.height * c.width)
            let output = Double(c.batch * c.outChannels * c.pixels)
            let weights = operation == .conv2d ? c.outChannels * c.reduction : c.channels * c.kernelHeight * c.kernelWidth
            return 4 * (input + output) + precision.bytesPerWeight * Double(weights)
        }
    }
}

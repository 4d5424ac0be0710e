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
            // In doubles: the element counts of hostile shapes overflow integers.
            let input = Double(c.batch) * Double(c.channels) * Double(c.height) * Double(c.width)
            let output = Double(c.batch) * Double(c.outChannels) * Double(c.outHeight) * Double(c.outWidth)
            let weights = operation == .conv2d ? Double(c.outChannels) * Double(c.reduction)
                : Double(c.channels) * Double(c.kernelHeight) * Double(c.kernelWidth)
            return 4 * (input + output) + precision.bytesPerWeight * weights
        }
    }
}

extension Conv2DShape {
    /// Σ input[ih · width + iw] · weights[r · kernelWidth + q] over the window of output pixel
    /// (oh, ow), in double, taps over the padding skipped: the direct convolution of one input
    /// plane and one filter that the conv kernels are validated against.
    func windowSum(oh: Int, ow: Int, plane input: UnsafePointer<Float>, filter weights: UnsafePointer<Float>) -> Double {
        var sum = 0.0
        for r in 0..<kernelHeight {
            let ih = oh * stride - padding + r * dilation
            guard ih >= 0 && ih < height else { continue }
            for q in 0..<kernelWidth {
                let iw = ow * stride - padding + q * dilation
                guard iw >= 0 && iw < width else { continue }
                sum += Double(input[ih * width + iw]) * Double(weights[r * kernelWidth + q])
            }
        }
        return sum
    }
}

import KernelModel

extension LayerKey {
    /// Floating-point operations of one execution (a multiply-add counts 2).
    public var flops: Double {
        let d = { (name: String) in Double(dimensions[name] ?? 0) }
        if operation == "conv2d" { return 2 * d("n") * Double(outputPixels) * d("k") * d("c") * d("r") * d("s") }
        return 2 * d("m") * d("n") * d("k")
    }

    /// The fewest bytes one execution moves: activations read and written once in fp32, the
    /// weights once in `precision` (matmul's B is an fp32 activation).
    public func minimumBytes(precision: Precision) -> Double {
        let d = { (name: String) in Double(dimensions[name] ?? 0) }
        if operation == "conv2d" {
            let input = d("n") * d("c") * d("h") * d("w"), output = d("n") * d("k") * Double(outputPixels)
            return 4 * (input + output) + precision.bytesPerWeight * d("k") * d("c") * d("r") * d("s")
        }
        let weightBytes = operation == "matmul" ? 4 : precision.bytesPerWeight
        return 4 * (d("m") * d("k") + d("m") * d("n")) + weightBytes * d("k") * d("n")
    }

    /// conv2d: output height x width.
    var outputPixels: Int {
        func out(_ size: String, _ kernel: String) -> Int {
            let (input, k) = (dimensions[size] ?? 0, dimensions[kernel] ?? 1)
            let (stride, pad, dilation) = (dimensions["stride"] ?? 1, dimensions["pad"] ?? 0, dimensions["dilation"] ?? 1)
            return max(0, (input + 2 * pad - dilation * (k - 1) - 1) / max(stride, 1) + 1)
        }
        return out("h", "r") * out("w", "s")
    }
}

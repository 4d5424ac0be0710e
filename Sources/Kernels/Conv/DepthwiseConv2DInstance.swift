import Foundation

final class DepthwiseConv2DInstance: KernelInstance, BoundLayer {
    let kernel: DepthwiseConv2DKernel
    let shape: Conv2DShape
    let input: FloatBuffer            // [N, C, H, W]
    let weights: FloatBuffer          // [C, R, S]
    let bias: FloatBuffer             // [C]
    let output: FloatBuffer           // [N, C, P, Q]
    let threads: Int
    /// Output rows per task.
    let rowsPerTask: Int
    let team: ParallelTeam

    /// - Parameter operands: the model's weights ([C, R, S]) and bias; nil: deterministic random ones.
    init(kernel: DepthwiseConv2DKernel, config: KernelConfig, team: ParallelTeam, operands: LayerOperands? = nil) throws {
        try kernel.space.validate(config)
        threads = config.int("threads") ?? 1
        guard threads <= team.size else { throw KernelError.invalidConfig("threads=\(threads) but the team has \(team.size)") }
        self.kernel = kernel
        self.team = team
        let s = kernel.shape
        shape = s
        let requested = config.int("rows") ?? 0
        rowsPerTask = requested == 0 ? s.outHeight : min(requested, s.outHeight)
        let filter = s.kernelHeight * s.kernelWidth
        input = FloatBuffer(random: s.batch * s.channels * s.height * s.width, seed: 1)
        weights = try operands.map { try $0.weightsBuffer(rows: s.channels, columns: filter) } ?? FloatBuffer(random: s.channels * filter, seed: 2)
        bias = try operands.map { try $0.biasBuffer(columns: s.channels) } ?? FloatBuffer(random: s.channels, seed: 3)
        output = FloatBuffer(count: s.batch * s.channels * s.pixels)
    }

    func run() {
        run(input: input.pointer, output: output.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let blocks = (shape.outHeight + rowsPerTask - 1) / rowsPerTask
        let tasks = shape.batch * shape.channels * blocks
        let parts = threads
        team.run(threads: parts) { index in
            guard index < parts else { return }
            for task in ParallelTeam.chunk(index, of: parts, count: tasks) {
                let plane = task / blocks
                let first = (task % blocks) * rowsPerTask
                rows(plane: plane, first..<min(first + rowsPerTask, shape.outHeight), input: input, output: output)
            }
        }
    }

    /// Output rows `range` of one (image, channel) plane: each starts from the bias and adds
    /// the R·S weighted, shifted input rows that overlap it, then the activation.
    @inline(never)
    private func rows(plane: Int, _ range: Range<Int>, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let s = shape
        let channel = plane % s.channels
        let filter = weights.pointer + channel * s.kernelHeight * s.kernelWidth
        let start: Float = kernel.epilogue.bias ? bias.pointer[channel] : 0
        let source = input + plane * s.height * s.width
        for oh in range {
            let out = output + (plane * s.outHeight + oh) * s.outWidth
            out.update(repeating: start, count: s.outWidth)
            for r in 0..<s.kernelHeight {
                let ih = oh * s.stride - s.padding + r * s.dilation
                guard ih >= 0 && ih < s.height else { continue }
                let row = source + ih * s.width
                for q in 0..<s.kernelWidth {
                    let w = filter[r * s.kernelWidth + q]
                    let shift = q * s.dilation - s.padding
                    // iw = ow * stride + shift must lie in 0 ..< width.
                    let first = max(0, min(s.outWidth, (-shift + s.stride - 1) / s.stride))
                    let last = max(first, min(s.outWidth, (s.width - shift + s.stride - 1) / s.stride))
                    if s.stride == 1 {
                        let shifted = row + shift
                        for ow in first..<last { out[ow] = out[ow].addingProduct(w, shifted[ow]) }
                    } else {
                        for ow in first..<last { out[ow] = out[ow].addingProduct(w, row[ow * s.stride + shift]) }
                    }
                }
            }
            let activation = kernel.epilogue.activation
            if activation != .none { for ow in 0..<s.outWidth { out[ow] = Epilogue.activate(out[ow], activation) } }
        }
    }

    /// Direct convolution in double, on every output of small problems and an even sample of
    /// large ones.
    func validate() -> Validation {
        let s = shape
        var errors = ErrorAccumulator()
        for index in GEMMReference.sample(s.batch * s.channels * s.pixels, limit: 4096) {
            let plane = index / s.pixels, channel = plane % s.channels
            let oh = (index % s.pixels) / s.outWidth, ow = index % s.outWidth
            let bias = kernel.epilogue.bias ? Double(self.bias.pointer[channel]) : 0
            let sum = bias + s.windowSum(oh: oh, ow: ow, plane: input.pointer + plane * s.height * s.width,
                                         filter: weights.pointer + channel * s.kernelHeight * s.kernelWidth)
            errors.add(output: output.pointer[index], reference: kernel.epilogue.activate(sum))
        }
        return errors.validation(tolerance: Precision.fp32.tolerance)
    }
}

import CFloatKernels
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
    /// Per thread: one input plane with its zero border (only the interior is rewritten), so
    /// that every tap covers whole output rows.
    let paddedPlanes: [FloatBuffer]
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
        paddedPlanes = (0..<threads).map { _ in FloatBuffer(count: s.paddedPlane) }
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
            var padded = -1
            for task in ParallelTeam.chunk(index, of: parts, count: tasks) {
                let plane = task / blocks
                let first = (task % blocks) * rowsPerTask
                if plane != padded {
                    shape.copyPadded(input + plane * shape.height * shape.width, planes: 1, into: paddedPlanes[index].pointer)
                    padded = plane
                }
                rows(plane: plane, first..<min(first + rowsPerTask, shape.outHeight), padded: paddedPlanes[index].pointer, output: output)
            }
        }
    }

    /// Output rows `range` of one (image, channel) plane from its padded copy: each is the bias
    /// plus the R·S weighted, shifted input rows, then the activation.
    @inline(never)
    private func rows(plane: Int, _ range: Range<Int>, padded: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let s = shape
        let channel = plane % s.channels
        let filter = weights.pointer + channel * s.kernelHeight * s.kernelWidth
        let start: Float = kernel.epilogue.bias ? bias.pointer[channel] : 0
        let activation = kernel.epilogue.activation
        let code: Int32 = activation == .relu ? 1 : activation == .relu6 ? 2 : 0
        let rest = Epilogue(bias: false, activation: code == 0 ? activation : .none)
        let out = output + (plane * s.outHeight + range.lowerBound) * s.outWidth
        VectorLoops.current.depthwise_rows(
            out, range.count, s.outWidth, padded + range.lowerBound * s.stride * s.paddedWidth, s.paddedWidth, s.stride, s.dilation,
            filter, s.kernelHeight, s.kernelWidth, start, code
        )
        if rest != .none { rest.applyRows(out, ldc: s.outWidth, rows: range.count, cols: s.outWidth, row: 0, bias: nil) }
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

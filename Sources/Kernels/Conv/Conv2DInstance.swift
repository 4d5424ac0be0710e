import CFloatKernels
import Foundation

final class Conv2DInstance: KernelInstance, BoundLayer {
    let kernel: Conv2DKernel
    let shape: Conv2DShape
    let input: FloatBuffer
    let weightsFP32: FloatBuffer      // [K, C/G, R, S]
    /// Per group: its filters as the GEMM operand [C/G·R·S, K/G] (layout=pk; none for kp).
    let weights: [WeightMatrix]
    let bias: FloatBuffer
    let output: FloatBuffer           // [N, K, P, Q]
    let columns: FloatBuffer          // im2col of one chunk, column-major: (pixel p, reduction r) at r * chunk + p
    let product: FloatBuffer          // GEMM output of one chunk and group, [chunk, K/G]
    let chunk: Int
    /// One per group: a driver packs its group's weights once at load (pack_b=2).
    let drivers: [GEMMDriver]
    /// isa ≠ build, one per group: CIntegerKernels' dot products on the chunk's im2col rows
    /// (quantized or rounded per call), weights repacked once with the reduction in (r, s, c)
    /// order; `weights` and `drivers` are empty.
    let dotProducts: [DotProductLayer]
    /// For the dot products: one image with its zero border, channels last ([H+2p][W+2p][C]),
    /// so that each tap of a pixel's receptive field is C/G consecutive values.
    let channelsLast: FloatBuffer
    /// For the dot products: the chunk's im2col as pixel rows ([chunk, R·S·C/G]), the layout
    /// they quantize row by row.
    let pixelRows: FloatBuffer
    /// layout=kp, one per group: channels × pixels straight into the output planes.
    let channelMajor: [ChannelMajorGEMM]
    /// layout=kp on an unpadded stride-1 1x1 convolution: the input planes are B as they lie.
    let pointwise: Bool
    /// layout=direct: the filters as [K/16][C][R][S][16] and the bias as [K/16][16] (zeros past K,
    /// and everywhere without a bias), for `ckernel_conv_direct_row`.
    let direct: (filters: FloatBuffer, bias: FloatBuffer)?
    /// One image's channels with their zero border (only the interior is rewritten, once per
    /// image), so each im2col row is one strided copy per output row; nil without padding.
    let paddedImage: FloatBuffer?
    let team: ParallelTeam
    let threads: Int

    /// - Parameter operands: the model's weights as the GEMM operand [C·R·S, K] and bias; nil:
    ///   deterministic random ones.
    init(kernel: Conv2DKernel, config: KernelConfig, team: ParallelTeam, operands: LayerOperands? = nil) throws {
        self.kernel = kernel
        self.team = team
        shape = kernel.shape
        let requested = config.int("chunk") ?? 0
        chunk = requested == 0 ? shape.pixels : min(requested, shape.pixels)
        input = FloatBuffer(random: shape.batch * shape.channels * shape.height * shape.width, seed: 1)
        // [K, C·R·S] ↔ [C·R·S, K]: the weights are the GEMM's B operand; the reference reads [K, C, R, S].
        let transposed: FloatBuffer
        if let operands {
            transposed = try operands.weightsBuffer(rows: shape.reduction, columns: shape.outChannels)
            weightsFP32 = FloatBuffer(count: shape.outChannels * shape.reduction)
            for k in 0..<shape.outChannels {
                for r in 0..<shape.reduction { weightsFP32.pointer[k * shape.reduction + r] = transposed.pointer[r * shape.outChannels + k] }
            }
        } else {
            weightsFP32 = FloatBuffer(random: shape.outChannels * shape.reduction, seed: 2)
            transposed = FloatBuffer(count: shape.reduction * shape.outChannels)
            for k in 0..<shape.outChannels {
                for r in 0..<shape.reduction { transposed.pointer[r * shape.outChannels + k] = weightsFP32.pointer[k * shape.reduction + r] }
            }
        }
        // Group g's operand: columns g·K/G ..< (g+1)·K/G of the [C/G·R·S, K] matrix.
        let (reduction, perGroup, outChannels) = (kernel.shape.reduction, kernel.shape.outChannels / kernel.shape.groups, kernel.shape.outChannels)
        let precision = kernel.precision, quantizationGroup = config.int("group") ?? 0
        let channelsFirst = config.text("layout") == "kp"
        if config.text("layout") == "direct" {
            let (blocks, taps) = ((shape.outChannels + 15) / 16, shape.channels * shape.kernelHeight * shape.kernelWidth)
            let (filters, biases) = (FloatBuffer(count: blocks * taps * 16), FloatBuffer(count: blocks * 16))
            for k in 0..<shape.outChannels {
                for t in 0..<taps { filters.pointer[(k / 16 * taps + t) * 16 + k % 16] = weightsFP32.pointer[k * taps + t] }
            }
            direct = (filters, biases)
        } else {
            direct = nil
        }
        pointwise = channelsFirst && shape.kernelHeight == 1 && shape.kernelWidth == 1 && shape.stride == 1 && shape.padding == 0
        let isa = GEMMKernel.usesDotProducts(config) ? config.text("isa").flatMap(KernelISA.init(rawValue:)) : nil
        let (taps, channels) = (kernel.shape.kernelHeight * kernel.shape.kernelWidth, kernel.shape.channels / kernel.shape.groups)
        let slices: [FloatBuffer] = channelsFirst || direct != nil ? [] : (0..<kernel.shape.groups).map { g in
            let slice = FloatBuffer(count: reduction * perGroup)
            for r in 0..<reduction {
                // im2col's reduction index is (c, r, s); the pixel rows' (r, s, c).
                let row = isa == nil ? r : r % taps * channels + r / taps
                for j in 0..<perGroup { slice.pointer[row * perGroup + j] = transposed.pointer[r * outChannels + g * perGroup + j] }
            }
            return slice
        }
        weights = isa != nil ? [] : try slices.map {
            try WeightMatrix($0.pointer, rows: reduction, columns: perGroup, precision: precision, group: quantizationGroup)
        }
        let bias = try operands.map { try $0.biasBuffer(columns: outChannels) } ?? FloatBuffer(random: outChannels, seed: 3)
        self.bias = bias
        if let isa {
            let (tiles, rows) = (DotProductLayer.tiles(config, m: chunk, k: reduction, isa: isa), chunk)
            let epilogue = kernel.epilogue
            dotProducts = try slices.enumerated().map { g, slice in
                try DotProductLayer(
                    m: rows, n: perGroup, k: reduction, weights: slice.pointer,
                    bias: Array(UnsafeBufferPointer(start: bias.pointer + g * perGroup, count: perGroup)), epilogue: epilogue,
                    precision: precision, group: quantizationGroup, arithmetic: Arithmetic.of(config), isa: isa, mr: tiles.mr, nv: tiles.nv,
                    kc: tiles.kc, threads: config.int("threads") ?? 1, team: team,
                    applyEpilogue: { output, ldc, rows, columns, bias in epilogue.applyColumns(output, ldc: ldc, rows: rows, columns: columns, bias: bias) })
            }
        } else {
            dotProducts = []
        }
        pixelRows = FloatBuffer(count: dotProducts.isEmpty ? 0 : chunk * reduction)
        channelsLast = FloatBuffer(count: dotProducts.isEmpty ? 0 : shape.channels * shape.paddedPlane)
        if let direct, kernel.epilogue.bias { direct.bias.pointer.update(from: bias.pointer, count: outChannels) }
        output = FloatBuffer(count: shape.batch * shape.outChannels * shape.pixels)
        // The dot products read `channelsLast` and `pixelRows` instead of these two.
        let noIm2col = pointwise || direct != nil || !dotProducts.isEmpty
        columns = FloatBuffer(count: noIm2col ? 0 : chunk * shape.reduction)
        paddedImage = shape.padding == 0 || pointwise || !dotProducts.isEmpty ? nil : FloatBuffer(count: shape.channels * shape.paddedPlane)
        product = FloatBuffer(count: channelsFirst || direct != nil ? 0 : chunk * perGroup)
        var gemmConfig = config
        gemmConfig.kernel = "gemm"
        let (rows, epilogue) = (chunk, kernel.epilogue)
        drivers = weights.map { GEMMDriver(config: gemmConfig, m: rows, n: perGroup, k: reduction, epilogue: epilogue, weights: $0) }
        threads = config.int("threads") ?? 1
        let filters = weightsFP32.pointer
        channelMajor = !channelsFirst ? [] : (0..<kernel.shape.groups).map { g in
            ChannelMajorGEMM(config: gemmConfig, filters: filters + g * perGroup * reduction, m: perGroup, k: reduction, epilogue: epilogue)
        }
    }

    func run() {
        run(input: input.pointer, output: output.pointer)
    }

    func run(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        if let direct { return runDirect(input: input, output: output, filters: direct.filters.pointer, bias: direct.bias.pointer) }
        if !channelMajor.isEmpty { return runChannelMajor(input: input, output: output) }
        for image in 0..<shape.batch {
            if dotProducts.isEmpty { pad(input, image: image) } else { transposeToChannelsLast(input, image: image) }
            var first = 0
            while first < shape.pixels {
                let count = min(chunk, shape.pixels - first)
                let perGroup = shape.outChannels / shape.groups
                for g in 0..<shape.groups {
                    if dotProducts.isEmpty {
                        im2col(input, image: image, group: g, firstPixel: first, count: count)
                        drivers[g].run(a: columns.pointer, weights: weights[g], bias: bias.pointer + g * perGroup, c: product.pointer, team: team,
                                       rows: count, aStrides: (row: 1, k: chunk))
                    } else {
                        im2row(group: g, firstPixel: first, count: count)
                        dotProducts[g].run(input: pixelRows.pointer, output: product.pointer, rows: count)
                    }
                    scatter(into: output, image: image, group: g, firstPixel: first, count: count)
                }
                first += count
            }
        }
    }

    /// layout=kp: per chunk and group, the output planes' pixels = filters · im2col (or · the
    /// input planes themselves for a pointwise convolution).
    private func runChannelMajor(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let s = shape
        let (perGroup, channels, plane) = (s.outChannels / s.groups, s.channels / s.groups, s.height * s.width)
        for image in 0..<s.batch {
            if !pointwise { pad(input, image: image) }
            var first = 0
            while first < s.pixels {
                let count = min(chunk, s.pixels - first)
                for g in 0..<s.groups {
                    let target = output + (image * s.outChannels + g * perGroup) * s.pixels + first
                    if pointwise {
                        let planes = input + (image * s.channels + g * channels) * plane + first
                        channelMajor[g].run(b: planes, ldb: plane, columns: count, bias: bias.pointer + g * perGroup, c: target, ldc: s.pixels, team: team)
                    } else {
                        im2col(input, image: image, group: g, firstPixel: first, count: count)
                        channelMajor[g].run(b: columns.pointer, ldb: chunk, columns: count, bias: bias.pointer + g * perGroup, c: target,
                                            ldc: s.pixels, team: team)
                    }
                }
                first += count
            }
        }
    }

    /// layout=direct: per image, output rows of 16-channel blocks split over the threads, each
    /// straight from the padded image; an activation the row loop does not fuse after it.
    private func runDirect(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, filters: UnsafePointer<Float>,
                           bias: UnsafePointer<Float>) {
        let s = shape
        let blocks = (s.outChannels + 15) / 16
        let taps = s.channels * s.kernelHeight * s.kernelWidth
        let activation = kernel.epilogue.activation
        let code: Int32 = activation == .relu ? 1 : activation == .relu6 ? 2 : 0
        let rest = Epilogue(bias: false, activation: code == 0 ? activation : .none)
        let (width, plane) = paddedImage == nil ? (s.width, s.height * s.width) : (s.paddedWidth, s.paddedPlane)
        let parts = threads
        // Rows of 8 to 15 outputs go two at a time (one 16-lane vector).
        let rowsPerTask = s.outWidth >= 8 && s.outWidth < 16 ? 2 : 1
        let pairs = (s.outHeight + rowsPerTask - 1) / rowsPerTask
        for image in 0..<s.batch {
            pad(input, image: image)
            let top = paddedImage.map { UnsafePointer($0.pointer) } ?? input + image * s.channels * s.height * s.width
            let planes = output + image * s.outChannels * s.pixels
            team.run(threads: parts) { index in
                guard index < parts else { return }
                for task in ParallelTeam.chunk(index, of: parts, count: blocks * pairs) {
                    let (block, row) = (task / pairs, task % pairs * rowsPerTask)
                    VectorLoops.current.conv_direct_row(
                        planes + block * 16 * s.pixels + row * s.outWidth, s.pixels, s.outWidth, min(rowsPerTask, s.outHeight - row),
                        min(16, s.outChannels - block * 16), top + row * s.stride * width, plane, width, s.channels, s.kernelHeight,
                        s.kernelWidth, s.stride, s.dilation, filters + block * taps * 16, bias + block * 16, code
                    )
                }
            }
            if rest != .none { rest.applyRows(planes, ldc: s.pixels, rows: s.outChannels, cols: s.pixels, row: 0, bias: nil) }
        }
    }

    /// The image's planes into the interior of the padded image (the border stays zero).
    private func pad(_ input: UnsafePointer<Float>, image: Int) {
        guard let paddedImage else { return }
        shape.copyPadded(input + image * shape.channels * shape.height * shape.width, planes: shape.channels, into: paddedImage.pointer)
    }

    /// The chunk's im2col matrix, one reduction index (c, r, q) at a time: for each, the chunk's
    /// pixels in a contiguous row (Caffe's layout), copied from the padded image (or the input
    /// when there is no padding). (Pixel by pixel, gathering each receptive field, took half of
    /// the conv's time, measured.)
    private func im2col(_ input: UnsafePointer<Float>, image: Int, group: Int, firstPixel: Int, count: Int) {
        let s = shape
        let channels = s.channels / s.groups
        let (width, plane) = (s.paddedWidth, s.paddedPlane)
        let base = paddedImage.map { UnsafePointer($0.pointer) + group * channels * plane }
            ?? input + (image * s.channels + group * channels) * plane
        VectorLoops.current.im2col(columns.pointer, chunk, base, channels, s.kernelHeight, s.kernelWidth, plane, width, s.outWidth, s.stride,
                                   s.dilation, firstPixel, count)
    }

    /// The image's planes into `channelsLast`'s interior (the border stays zero), input rows
    /// over the threads.
    private func transposeToChannelsLast(_ input: UnsafePointer<Float>, image: Int) {
        let s = shape
        let (planes, target) = (input + image * s.channels * s.height * s.width, channelsLast.pointer)
        let parts = Self.parts(threads, work: s.channels * s.height * s.width)
        team.run(threads: parts) { index in
            guard index < parts else { return }
            for row in ParallelTeam.chunk(index, of: parts, count: s.height) {
                Self.transposeRow(row, shape: s, planes: planes, target: target)
            }
        }
    }

    /// Splits work of this many values over the threads only from 64K values on (a wake-up of
    /// the team costs several microseconds).
    private static func parts(_ threads: Int, work: Int) -> Int { work >= 1 << 16 ? threads : 1 }

    /// One input row of every channel into its channels-last line, in blocks of 16 channels x 16
    /// pixels so that reads and writes both stay within a few cache lines.
    private static func transposeRow(_ row: Int, shape s: Conv2DShape, planes: UnsafePointer<Float>, target: UnsafeMutablePointer<Float>) {
        let line = target + ((row + s.padding) * s.paddedWidth + s.padding) * s.channels
        for c0 in stride(from: 0, to: s.channels, by: 16) {
            for x0 in stride(from: 0, to: s.width, by: 16) {
                for c in c0..<min(s.channels, c0 + 16) {
                    let source = planes + (c * s.height + row) * s.width
                    for x in x0..<min(s.width, x0 + 16) { line[x * s.channels + c] = source[x] }
                }
            }
        }
    }

    /// The chunk's receptive fields as pixel rows (group g's channels), pixels over the threads.
    private func im2row(group: Int, firstPixel: Int, count: Int) {
        let s = shape
        let channels = s.channels / s.groups
        let (source, target) = (UnsafePointer(channelsLast.pointer) + group * channels, pixelRows.pointer)
        let parts = Self.parts(threads, work: count * s.reduction)
        team.run(threads: parts) { index in
            guard index < parts else { return }
            for p in ParallelTeam.chunk(index, of: parts, count: count) {
                Self.receptiveField(of: firstPixel + p, shape: s, channels: channels, source: source, into: target + p * s.reduction)
            }
        }
    }

    /// One pixel's row: for each tap (r, s), the group's C/G channels at that tap.
    private static func receptiveField(of pixel: Int, shape s: Conv2DShape, channels: Int, source: UnsafePointer<Float>,
                                       into target: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (pixel / s.outWidth, pixel % s.outWidth)
        var row = target
        for r in 0..<s.kernelHeight {
            let line = source + ((oh * s.stride + r * s.dilation) * s.paddedWidth + ow * s.stride) * s.channels
            for q in 0..<s.kernelWidth {
                row.update(from: line + q * s.dilation * s.channels, count: channels)
                row += channels
            }
        }
    }

    /// [count, K/G] → output[image, group's k, pixel].
    private func scatter(into output: UnsafeMutablePointer<Float>, image: Int, group: Int, firstPixel: Int, count: Int) {
        let k = shape.outChannels / shape.groups
        let (base, product) = (output + (image * shape.outChannels + group * k) * shape.pixels, product.pointer)
        let pixels = shape.pixels
        let parts = Self.parts(threads, work: count * k)
        team.run(threads: parts) { index in
            guard index < parts else { return }
            for channel in ParallelTeam.chunk(index, of: parts, count: k) {
                let destination = base + channel * pixels + firstPixel
                for p in 0..<count { destination[p] = product[p * k + channel] }
            }
        }
    }

    /// Direct convolution in double over the fp32 weights, on every output of small problems
    /// and an even sample of large ones.
    func validate() -> Validation {
        let s = shape
        var errors = ErrorAccumulator()
        let total = s.batch * s.outChannels * s.pixels
        for index in GEMMReference.sample(total, limit: 4096) {
            let image = index / (s.outChannels * s.pixels)
            let channel = (index / s.pixels) % s.outChannels
            let pixel = index % s.pixels
            let oh = pixel / s.outWidth, ow = pixel % s.outWidth
            var sum = kernel.epilogue.bias ? Double(bias.pointer[channel]) : 0
            let channels = s.channels / s.groups
            let firstChannel = channel / (s.outChannels / s.groups) * channels
            let (plane, filter) = (s.height * s.width, s.kernelHeight * s.kernelWidth)
            for c in 0..<channels {
                sum += s.windowSum(oh: oh, ow: ow, plane: input.pointer + (image * s.channels + firstChannel + c) * plane,
                                   filter: weightsFP32.pointer + (channel * channels + c) * filter)
            }
            errors.add(output: output.pointer[index], reference: kernel.epilogue.activate(sum))
        }
        return errors.validation(tolerance: kernel.precision.tolerance)
    }
}

import Foundation

final class Conv2DInstance: KernelInstance {
    let kernel: Conv2DKernel
    let shape: Conv2DShape
    let input: FloatBuffer
    let weightsFP32: FloatBuffer      // [K, C, R, S]
    let weights: WeightMatrix         // [C·R·S, K]
    let bias: FloatBuffer
    let output: FloatBuffer           // [N, K, P, Q]
    let columns: FloatBuffer          // im2col rows of one chunk
    let product: FloatBuffer          // GEMM output of one chunk, [chunk, K]
    let chunk: Int
    let driver: GEMMDriver
    let team: ParallelTeam

    init(kernel: Conv2DKernel, config: KernelConfig, team: ParallelTeam) throws {
        self.kernel = kernel
        self.team = team
        shape = kernel.shape
        let requested = config.int("chunk") ?? 0
        chunk = requested == 0 ? shape.pixels : min(requested, shape.pixels)
        input = FloatBuffer(random: shape.batch * shape.channels * shape.height * shape.width, seed: 1)
        weightsFP32 = FloatBuffer(random: shape.outChannels * shape.reduction, seed: 2)
        // [K, C·R·S] → [C·R·S, K]: the weights become the GEMM's B operand.
        let transposed = FloatBuffer(count: shape.reduction * shape.outChannels)
        for k in 0..<shape.outChannels {
            for r in 0..<shape.reduction { transposed.pointer[r * shape.outChannels + k] = weightsFP32.pointer[k * shape.reduction + r] }
        }
        weights = try WeightMatrix(transposed.pointer, rows: shape.reduction, columns: shape.outChannels, precision: kernel.precision, group: config.int("group") ?? 0)
        bias = FloatBuffer(random: shape.outChannels, seed: 3)
        output = FloatBuffer(count: shape.batch * shape.outChannels * shape.pixels)
        columns = FloatBuffer(count: chunk * shape.reduction)
        product = FloatBuffer(count: chunk * shape.outChannels)
        var gemmConfig = config
        gemmConfig.kernel = "gemm"
        driver = GEMMDriver(config: gemmConfig, m: chunk, n: shape.outChannels, k: shape.reduction, epilogue: kernel.epilogue, weights: weights)
    }

    func run() {
        for image in 0..<shape.batch {
            var first = 0
            while first < shape.pixels {
                let count = min(chunk, shape.pixels - first)
                im2col(image: image, firstPixel: first, count: count)
                driver.run(a: columns.pointer, weights: weights, bias: bias.pointer, c: product.pointer, team: team, rows: count)
                scatter(image: image, firstPixel: first, count: count)
                first += count
            }
        }
    }

    /// Row p of the chunk: the receptive field of output pixel firstPixel + p, in (c, r, s) order.
    private func im2col(image: Int, firstPixel: Int, count: Int) {
        let s = shape
        let plane = s.height * s.width
        let base = input.pointer + image * s.channels * plane
        for p in 0..<count {
            let pixel = firstPixel + p
            let oh = pixel / s.outWidth, ow = pixel % s.outWidth
            var out = columns.pointer + p * s.reduction
            for c in 0..<s.channels {
                let channel = base + c * plane
                for r in 0..<s.kernelHeight {
                    let ih = oh * s.stride - s.padding + r * s.dilation
                    for q in 0..<s.kernelWidth {
                        let iw = ow * s.stride - s.padding + q * s.dilation
                        out.pointee = ih >= 0 && ih < s.height && iw >= 0 && iw < s.width ? channel[ih * s.width + iw] : 0
                        out += 1
                    }
                }
            }
        }
    }

    /// [count, K] → output[image, k, pixel].
    private func scatter(image: Int, firstPixel: Int, count: Int) {
        let k = shape.outChannels
        let base = output.pointer + image * k * shape.pixels
        for channel in 0..<k {
            let destination = base + channel * shape.pixels + firstPixel
            for p in 0..<count { destination[p] = product.pointer[p * k + channel] }
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
            for c in 0..<s.channels {
                for r in 0..<s.kernelHeight {
                    let ih = oh * s.stride - s.padding + r * s.dilation
                    guard ih >= 0 && ih < s.height else { continue }
                    for q in 0..<s.kernelWidth {
                        let iw = ow * s.stride - s.padding + q * s.dilation
                        guard iw >= 0 && iw < s.width else { continue }
                        let x = input.pointer[((image * s.channels + c) * s.height + ih) * s.width + iw]
                        let w = weightsFP32.pointer[((channel * s.channels + c) * s.kernelHeight + r) * s.kernelWidth + q]
                        sum += Double(x) * Double(w)
                    }
                }
            }
            switch kernel.epilogue.activation {
            case .none: break
            case .relu: sum = max(sum, 0)
            case .gelu: sum = 0.5 * sum * (1 + tanh(0.797_884_560_802_865_4 * (sum + 0.044_715 * sum * sum * sum)))
            }
            errors.add(output: output.pointer[index], reference: sum)
        }
        return errors.validation(tolerance: kernel.precision.tolerance)
    }
}

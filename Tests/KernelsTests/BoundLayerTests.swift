import Foundation
@testable import Kernels
import Testing

/// Kernels bound to given weights compute the product of the given operands.
@Suite("bound layers")
struct BoundLayerTests {
    static func reference(_ a: [Float], _ w: [Float], bias: [Float]?, m: Int, n: Int, k: Int, relu: Bool) -> [Float] {
        (0..<m * n).map { index in
            let (row, column) = (index / n, index % n)
            var sum = Double(bias?[column] ?? 0)
            for p in 0..<k { sum += Double(a[row * k + p]) * Double(w[p * n + column]) }
            return Float(relu ? max(sum, 0) : sum)
        }
    }

    static func relativeError(_ x: [Float], _ y: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for (a, b) in zip(x, y) { difference += Double(a - b) * Double(a - b); norm += Double(b) * Double(b) }
        return (difference / norm).squareRoot()
    }

    @Test("gemm and gemv with the model's weights and bias, every precision within its tolerance", arguments: [3, 40], Precision.allCases)
    func gemm(m: Int, precision: Precision) throws {
        let (n, k) = (48, 64)
        var data = TestData(seed: 5)
        let a = (0..<m * k).map { _ in data.nextUnit() }, w = (0..<k * n).map { _ in data.nextUnit() }, bias = (0..<n).map { _ in data.nextUnit() }
        let expected = Self.reference(a, w, bias: bias, m: m, n: n, k: k, relu: true)
        let team = ParallelTeam(size: 2)
        let epilogue = Epilogue(bias: true, activation: .relu)
        let layer: any BoundLayer
        if m <= 16 {
            let kernel = try GEMVKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: .typical)
            layer = try kernel.bind(kernel.defaultConfig, operands: LayerOperands(weights: w, bias: bias), team: team)
        } else {
            let kernel = try GEMMKernel(m: m, n: n, k: k, epilogue: epilogue, precision: precision, limits: .typical)
            var config = kernel.defaultConfig
            config.values["threads"] = 2
            layer = try kernel.bind(config, operands: LayerOperands(weights: w, bias: bias), team: team)
        }
        var output = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { input in output.withUnsafeMutableBufferPointer { layer.run(input: input.baseAddress!, output: $0.baseAddress!) } }
        let error = Self.relativeError(output, expected)
        #expect(error <= precision.tolerance, "\(precision): \(error)")
        if precision == .fp32 { #expect(error < 1e-6) }
    }

    @Test("matmul takes B per call; conv2d runs the model's [C·R·S, K] weights")
    func matmulAndConv() throws {
        let (m, n, k) = (20, 24, 16)
        var data = TestData(seed: 6)
        let team = ParallelTeam(size: 1)
        let kernel = try GEMMKernel(m: m, n: n, k: k, limits: .typical, activationB: true)
        let product = try kernel.bindProduct(kernel.defaultConfig, team: team)
        for _ in 0..<2 { // a second B: nothing of the first one is kept
            let a = (0..<m * k).map { _ in data.nextUnit() }, b = (0..<k * n).map { _ in data.nextUnit() }
            var c = [Float](repeating: .nan, count: m * n)
            a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer {
                product.run(a: a.baseAddress!, b: b.baseAddress!, c: $0.baseAddress!)
            } } }
            #expect(Self.relativeError(c, Self.reference(a, b, bias: nil, m: m, n: n, k: k, relu: false)) < 1e-6)
        }
        #expect(throws: KernelError.self) { try kernel.bind(kernel.defaultConfig, operands: LayerOperands(weights: []), team: team) }

        // A 1x1 convolution is a GEMM over pixels: output[k, p] = sum_c w[c, k] x[c, p].
        let shape = try Conv2DShape(batch: 1, channels: 8, height: 5, width: 5, outChannels: 6, kernelHeight: 1, kernelWidth: 1)
        let conv = try Conv2DKernel(shape: shape, limits: .typical)
        let weights = (0..<8 * 6).map { _ in data.nextUnit() }, x = (0..<8 * 25).map { _ in data.nextUnit() }
        let expected = (0..<6 * 25).map { index -> Float in
            let (channel, pixel) = (index / 25, index % 25)
            return Float((0..<8).reduce(0.0) { $0 + Double(weights[$1 * 6 + channel]) * Double(x[$1 * 25 + pixel]) })
        }
        // kp multiplies the input planes in place; pk goes through im2col and the scatter.
        for layout in ["layout=kp,chunk=256", "layout=kp,pack_b=0,chunk=256", "layout=pk,chunk=256", "layout=direct,chunk=0"] {
            let bound = try conv.bind(try conv.defaultConfig.applying(overrides: layout), operands: LayerOperands(weights: weights), team: team)
            var y = [Float](repeating: .nan, count: 6 * 25)
            x.withUnsafeBufferPointer { input in y.withUnsafeMutableBufferPointer { bound.run(input: input.baseAddress!, output: $0.baseAddress!) } }
            #expect(Self.relativeError(y, expected) < 1e-6, "\(layout)")
        }
    }

    @Test("a team runs only the threads asked for; a one-thread run stays on the caller")
    func teamSubset() {
        let team = ParallelTeam(size: 4)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { seen.deallocate() }
        for threads in [1, 2, 4, 9] {
            seen.initialize(repeating: 0, count: 4)
            team.run(threads: threads) { seen[$0] += 1 }
            #expect((0..<4).map { seen[$0] } == (0..<4).map { $0 < min(threads, 4) ? 1 : 0 }, "threads \(threads)")
        }
        var caller: Thread?
        team.run(threads: 1) { _ in caller = Thread.current }
        #expect(caller == Thread.current)
    }
}

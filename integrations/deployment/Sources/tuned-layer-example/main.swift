import Foundation
import Kernels
import TunebenchRuntime

// Usage: tuned-layer-example ARTIFACT.json|DATABASE.sqlite LAYER
// Looks up LAYER's configuration for this machine and runs it on deterministic weights: on the
// dot-product kernels (int8/int4/fp16/bf16 weights with isa ≠ build) through PortableKernels'
// DotProductLayer, otherwise through Kernels' catalog (the fp32 GEMM, GEMV, tiles). Neither
// carries build flags, so this works with tunebench as a versioned dependency. The output is
// checked against a plain double-precision product.
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 2 else {
    print("usage: tuned-layer-example ARTIFACT.json|DATABASE.sqlite LAYER")
    exit(2)
}
do {
    let runtime = arguments[0].hasSuffix(".sqlite") ? try TuningRuntime(databasePath: arguments[0]) : try TuningRuntime(artifactPath: arguments[0])
    // The key's last word is the weights' precision ("gemm m=1 n=4096 k=4096 int8").
    let (parsed, precision) = try Layer.parse(key: arguments[1])
    let answer = try runtime.config(for: parsed.description, precision: precision)
    let problem = KernelProblem(layer: parsed, precision: answer.precision, kernel: KernelKind(rawValue: answer.kernel))
    print("\(arguments[1]): \(answer.kernel) \(answer.precision.rawValue) \(answer.config) [\(answer.step.rawValue)]")
    guard let m = problem.layer.m, let n = problem.layer.n, let k = problem.layer.k else {
        print("tuned-layer-example: \(arguments[1]) is not a product")
        exit(1)
    }
    let weights = (0..<(k * n)).map { Float(($0 * 7919) % 2003) / 1001.5 - 1 }
    let input = (0..<(m * k)).map { Float(($0 * 37) % 101) / 50.5 - 1 }
    let bias = (0..<n).map { Float($0 % 5) / 5 }
    let team = ParallelTeam(size: max(1, ProcessInfo.processInfo.activeProcessorCount))
    let run: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    let how: String
    if Arithmetic.runsVariant(answer.config) {
        let layer = try weights.withUnsafeBufferPointer {
            try DotProductLayer(configuration: answer.config, m: m, n: n, k: k, weights: $0.baseAddress!, bias: bias,
                                epilogue: problem.layer.epilogue, precision: answer.precision, team: team)
        }
        run = { layer.run(input: $0, output: $1) }
        how = "the dot-product kernels, isa=\(layer.isa.rawValue) act=\(layer.arithmetic.rawValue)"
    } else {
        let kernel = try KernelCatalog.kernel(for: problem, limits: MachineSizes(profile: runtime.machine).runnable)
        guard let binding = kernel as? any WeightBindingKernel else {
            print("tuned-layer-example: the \(kernel.name) kernel takes no weights")
            exit(1)
        }
        let layer = try binding.bind(answer.config, operands: LayerOperands(weights: weights, bias: bias), team: team)
        run = { layer.run(input: $0, output: $1) }
        how = "the \(kernel.name) kernel, vector loops \(VectorLoops.variantName)"
    }
    var output = [Float](repeating: 0, count: m * n)
    let started = Date()
    input.withUnsafeBufferPointer { x in output.withUnsafeMutableBufferPointer { run(x.baseAddress!, $0.baseAddress!) } }
    let seconds = Date().timeIntervalSince(started)
    var (difference, reference) = (0.0, 0.0)
    for row in 0..<m {
        for column in 0..<n {
            var sum = Double(bias[column]) * (problem.layer.epilogue.bias ? 1 : 0)
            for p in 0..<k { sum += Double(input[row * k + p]) * Double(weights[p * n + column]) }
            let expected = problem.layer.epilogue.activate(sum)
            difference += (Double(output[row * n + column]) - expected) * (Double(output[row * n + column]) - expected)
            reference += expected * expected
        }
    }
    let error = (difference / max(reference, .leastNormalMagnitude)).squareRoot()
    print(String(format: "ran %@ on %@ in %.3f ms: relative L2 error %.2e (tolerance %.0e)",
                 problem.key, how, seconds * 1e3, error, answer.precision.tolerance))
    exit(error <= answer.precision.tolerance ? 0 : 1)
} catch {
    print("tuned-layer-example: \(error)")
    exit(1)
}

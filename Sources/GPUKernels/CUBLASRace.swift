import CUDALibraries
import Foundation
import Kernels
import KernelModel

/// A tuned GPU GEMM against cuBLAS on the same inputs, interleaved: round by round one sample
/// of each, so clock and thermal drift hit both alike. cuBLAS's output is validated like ours.
public struct CUBLASRace: Sendable {
    public var tunedMilliseconds: [Double]
    public var cublasMilliseconds: [Double]
    public var cublasValidation: Validation

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

    /// cuBLAS time / tuned time: above 1, the tuned kernel is faster.
    public var ratio: Double { Self.median(cublasMilliseconds) / Self.median(tunedMilliseconds) }
    public var tunedMedian: Double { Self.median(tunedMilliseconds) }
    public var cublasMedian: Double { Self.median(cublasMilliseconds) }
    public var ratioRange: ClosedRange<Double> {
        let ratios = zip(cublasMilliseconds, tunedMilliseconds).map { $0 / $1 }
        return ratios.min()!...ratios.max()!
    }

    public static func run(runner: CUDAKernelRunner, family: any GPUKernelFamily, config: KernelConfig, data: GEMMData,
                           rounds: Int = 7) throws -> CUBLASRace {
        let context = runner.context
        let cublas = try CUBLAS(context: context)
        let type: CUBLAS.DataType = data.precision == .fp32 ? .fp32 : data.precision == .fp16 ? .fp16 : .bf16
        let complete = family.space.completing(config)
        let launcher = try runner.prepare(family, complete, data: data).launcher
        let tuned = { try launcher.launch() }
        let peer = { try cublas.gemm(a: data.deviceA, w: data.deviceW, c: data.deviceC, m: data.m, n: data.n, k: data.k, type: type) }

        try data.poisonOutput()
        try peer()
        try context.synchronize()
        let validation = try data.validate()
        guard validation.passed else { throw GPUError(.wrongResult, "cuBLAS's output differs from the reference: \(validation)") }
        let single = max(try context.time(repetitions: 1, tuned), try context.time(repetitions: 1, peer))
        let repetitions = max(1, min(10_000, Int(runner.sampleMilliseconds / max(single, 1e-4))))
        var ours: [Double] = [], theirs: [Double] = []
        for round in 0..<rounds {
            // Alternate which goes first, so neither always runs on a warmer device.
            if round % 2 == 0 {
                ours.append(try context.time(repetitions: repetitions, tuned))
                theirs.append(try context.time(repetitions: repetitions, peer))
            } else {
                theirs.append(try context.time(repetitions: repetitions, peer))
                ours.append(try context.time(repetitions: repetitions, tuned))
            }
        }
        return CUBLASRace(tunedMilliseconds: ours, cublasMilliseconds: theirs, cublasValidation: validation)
    }
}

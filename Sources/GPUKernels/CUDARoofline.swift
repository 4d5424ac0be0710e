import CUDALibraries
import Foundation
import MachineIdentity
import TunebenchCore

/// The GPU's roofline: device memory bandwidth (copy and triad over buffers far larger than the
/// L2) and the arithmetic peaks (fp32 FMA chains; fp16 and bf16 tensor-core mma), each the best
/// of several event-timed samples.
public enum CUDARoofline {
    public static func measure(runner: CUDAKernelRunner) throws -> GPURoofline {
        let context = runner.context
        let device = context.device
        let compiled = try runner.compiler.compile(.roofline, defines: [:], target: runner.target)
        let module = try context.loadModule(image: compiled.loadableImage)

        // 1 GiB per buffer (or a quarter of the memory), well beyond any L2.
        let bytes = Int(min(UInt64(1 << 30), device.memoryBytes / 8)) / 16 * 16
        let vectors = Int64(bytes / 16)
        let a = try context.allocate(bytes: bytes), b = try context.allocate(bytes: bytes), c = try context.allocate(bytes: bytes)
        try b.fill(byte: 0)
        try c.fill(byte: 0)
        let streamGrid = (device.multiprocessors * 8, 1, 1)
        let copy = try module.function("copy_f32")
            .launcher(grid: streamGrid, block: (256, 1, 1), arguments: [.pointer(b), .pointer(a), .int64(vectors)])
        let copyMilliseconds = try best { try context.time(repetitions: 10) { try copy.launch() } }
        let triad = try module.function("triad_f32")
            .launcher(grid: streamGrid, block: (256, 1, 1), arguments: [.pointer(a), .pointer(b), .pointer(c), .float(1.5), .int64(vectors)])
        let triadMilliseconds = try best { try context.time(repetitions: 10) { try triad.launch() } }

        let blocks = device.multiprocessors * 8, threads = 256, iterations: Int32 = 1 << 14
        let out = try context.allocate(bytes: blocks * threads * 4)
        let fma = try module.function("fma_f32")
            .launcher(grid: (blocks, 1, 1), block: (threads, 1, 1), arguments: [.pointer(out), .int32(iterations), .float(0.999), .float(0.001)])
        let fmaMilliseconds = try best { try context.time(repetitions: 3) { try fma.launch() } }
        let fmaFlops = Double(blocks * threads) * Double(iterations) * 16

        var tensor: [String: Double] = [:]
        if device.computeCapabilityMajor >= 8 {
            // 4 mma of 2·16·8·16 flops per warp and iteration.
            let mmaFlops = Double(blocks * threads / 32) * Double(iterations) * 4 * 4096
            for name in ["mma_f16", "mma_bf16"] {
                let mma = try module.function(name)
                    .launcher(grid: (blocks, 1, 1), block: (threads, 1, 1), arguments: [.pointer(out), .int32(iterations), .int32(0x3c00_3c00)])
                let milliseconds = try best { try context.time(repetitions: 3) { try mma.launch() } }
                tensor[name] = mmaFlops / (milliseconds * 1e6)
            }
        }
        return GPURoofline(
            copyGBps: 2 * Double(bytes) / (copyMilliseconds * 1e6), triadGBps: 3 * Double(bytes) / (triadMilliseconds * 1e6),
            fp32GFLOPs: fmaFlops / (fmaMilliseconds * 1e6), fp16TensorGFLOPs: tensor["mma_f16"],
            bf16TensorGFLOPs: tensor["mma_bf16"], measuredAt: Timestamp.now()
        )
    }

    /// The shortest of 5 samples (peaks: the least disturbed run).
    private static func best(_ sample: () throws -> Double) throws -> Double {
        var times: [Double] = []
        for _ in 0..<5 { times.append(try sample()) }
        return times.min()!
    }
}

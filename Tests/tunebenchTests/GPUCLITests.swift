import Foundation
import Testing

/// `tune --gpu` and `tune --cuda` as users meet them on a machine without a GPU: descriptions
/// checked, every configuration compiled with NVRTC (`--compile-only`), and a clear refusal to
/// time anything without the CUDA driver.
@Suite("GPU tuning on the command line")
struct GPUCLITests {
    static let nvrtcKnown = ProcessInfo.processInfo.environment["TUNEBENCH_NVRTC"] != nil
    static var vectorAdd: [String] {
        ["tune", "--cuda", CLITests.root.appendingPathComponent("Tests/Fixtures/cuda/vector_add.cu").path, "--kernel", "vector_add",
         "--param", "BLOCK_SIZE=64,128,256,2048", "--param", "TILE=1,2,4,8", "--constraint", "BLOCK_SIZE*TILE<=1024",
         "--problem", "n=1000000", "--arg", "c:float[n]:out", "--arg", "a:float[n]", "--arg", "b:float[n]", "--arg", "n:int=n",
         "--block", "BLOCK_SIZE", "--grid", "n/(BLOCK_SIZE*TILE)"]
    }

    @Test("--compile-only compiles every configuration of a user kernel and names the refused ones with NVRTC's message",
          .enabled(if: nvrtcKnown, "TUNEBENCH_NVRTC is not set (scripts/test sets it)"))
    func compileOnly() throws {
        let result = try CLITests.tunebench(Self.vectorAdd + ["--compile-only", "--arch", "sm_90"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cuda:vector_add for sm_90"))
        #expect(result.stdout.contains("9 of 11 configurations compiled"))
        #expect(result.stdout.contains("refused BLOCK_SIZE=64,TILE=8") && result.stdout.contains("TILE above 4 is not supported"))
        let gemv = try CLITests.tunebench(["tune", "--gpu", "--kernel", "gemv", "--shape", "1x4096x4096", "--precision", "int8",
                                           "--compile-only", "--arch", "sm_80"])
        #expect(gemv.status == 0, "\(gemv.stderr)")
        #expect(gemv.stdout.contains("cuda-gemv for sm_80") && gemv.stdout.contains("48 of 48 configurations compiled"))
    }

    @Test("autotune --gpu --compile-only compiles each GPU layer's kernels in each precision and lists what stays on the CPU",
          .enabled(if: nvrtcKnown, "TUNEBENCH_NVRTC is not set (scripts/test sets it)"))
    func autotuneCompileOnly() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-gpu-autotune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let layers = directory.appendingPathComponent("layers.json")
        try Data("""
        {"name": "gpu mix", "layers": [
          {"name": "decode", "op": "gemm", "m": 1, "n": 256, "k": 4096, "count": 4},
          {"name": "prefill", "op": "gemm", "m": 64, "n": 256, "k": 4096, "epilogue": "bias"},
          {"name": "conv", "op": "conv2d", "shape": "1,16,8,8,16,3,3,1,1"}]}
        """.utf8).write(to: layers)
        // fp32 and int8 only: 248 compilations when the cache is cold (fp32's are shared by the
        // two layers of one K).
        let result = try CLITests.tunebench(["autotune", "--gpu", "--layers", layers.path, "--precision", "int8",
                                             "--compile-only", "--arch", "sm_80"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("gemm m=1 n=256 k=4096 fp32 x4: cuda-gemm-f32 for sm_80") && $0.hasSuffix("200 of 200 configurations compiled") })
        #expect(lines.contains { $0.hasPrefix("gemm m=1 n=256 k=4096 int8 x4: cuda-gemv for sm_80") && $0.hasSuffix("48 of 48 configurations compiled") })
        #expect(lines.contains { $0.hasPrefix("gemm m=64 n=256 k=4096 fp32 x1: cuda-gemm-f32 for sm_80") })
        #expect(!lines.contains { $0.hasPrefix("gemm m=64 n=256 k=4096 int8") })
        #expect(lines.contains { $0.hasPrefix("left to the CPU: conv2d") })
        #expect(lines.contains { $0.hasPrefix("note: int8 is not tuned for 1 GPU layer(s)") })
        // Without a driver, the real run stops in one line before anything is recorded.
        let database = directory.appendingPathComponent("tuning.sqlite").path
        let run = try CLITests.tunebench(["autotune", "--gpu", "--layers", layers.path, "--db", database],
                                         environment: ["TUNEBENCH_LIBCUDA": "/nonexistent/libcuda.so.1"])
        #expect(run.status == 1 && run.stderr.contains("/nonexistent/libcuda.so.1"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: database))
        let mixed = try CLITests.tunebench(["autotune", "--layers", layers.path, "--compile-only"])
        #expect(mixed.status != 0 && mixed.stderr.contains("add --gpu"), "\(mixed.stderr)")
    }

    @Test("without the CUDA driver a GPU run stops in one line naming libcuda; a bad description stops before that")
    func noDriver() throws {
        let environment = ["TUNEBENCH_LIBCUDA": "/nonexistent/libcuda.so.1"]
        let gpu = try CLITests.tunebench(["tune", "--gpu", "--kernel", "gemm", "--shape", "256x256x256", "--precision", "fp16"], environment: environment)
        if Self.nvrtcKnown {
            #expect(gpu.status == 1)
            #expect(gpu.stderr.contains("/nonexistent/libcuda.so.1"), "\(gpu.stderr)")
        } else {
            #expect(gpu.status == 1 && gpu.stderr.contains("NVRTC"))
        }
        #expect(gpu.stderr.split(separator: "\n").count == 1)
        var broken = Self.vectorAdd
        broken[broken.count - 1] = "n/(BLOCK_SIZE*WIDTH)"
        let description = try CLITests.tunebench(broken, environment: environment)
        #expect(description.status == 1)
        #expect(description.stderr.contains("--grid") && description.stderr.contains("unknown name \"WIDTH\""), "\(description.stderr)")
        let unknown = try CLITests.tunebench(["tune", "--kernel", "gemmx", "--shape", "8x8x8"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown kernel \"gemmx\""))
        // The probe runs without a driver and lists no CUDA details.
        let probe = try CLITests.tunebench(["probe", "--json"], environment: environment)
        #expect(probe.status == 0, "\(probe.stderr)")
    }
}

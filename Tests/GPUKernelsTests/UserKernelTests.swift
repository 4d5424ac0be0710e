import CUDALibraries
import Foundation
import GPUKernels
import KernelModel
import Kernels
import Testing

@Suite("user CUDA kernels")
struct UserKernelTests {
    static let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/cuda/vector_add.cu").standardized.path

    static func vectorAdd(parameters: [String] = ["BLOCK_SIZE=64,128,256,2048", "TILE=1,2,4,8"],
                          constraints: [String] = ["BLOCK_SIZE*TILE<=1024"]) throws -> CUDAUserKernel {
        try CUDAUserKernel(sourceFile: source, kernel: "vector_add", parameters: parameters, constraints: constraints,
                           problem: "n=1000000", arguments: ["c:float[n]:out", "a:float[n]", "b:float[n]", "n:int=n"],
                           block: "BLOCK_SIZE", grid: "n/(BLOCK_SIZE*TILE)", flops: "n")
    }

    @Test("parameters, constraints and launch sizes as Kernel Tuner reads them")
    func space() throws {
        let family = try Self.vectorAdd()
        let all = family.allConfigurations()
        #expect(all.count == 11)  // 3 block sizes x 4 tiles, less 256x8; 2048 breaks the constraint
        #expect(all.allSatisfy { $0.int("BLOCK_SIZE")! * $0.int("TILE")! <= 1024 })
        #expect(family.defaultConfig.parameterText == "BLOCK_SIZE=64,TILE=1")
        let config = KernelConfig(kernel: family.kernel, values: ["BLOCK_SIZE": .int(128), "TILE": .int(4)])
        let launch = family.launch(config)
        #expect(launch.threads == 128 && launch.grid.0 == (1_000_000 + 511) / 512 && launch.grid.1 == 1)
        // Only the tunable parameters are defines: the kernel's own `n` must stay a name.
        #expect(family.defines(config) == ["BLOCK_SIZE": 128, "TILE": 4])
        #expect(family.flops == 1_000_000)
        #expect(family.minimumBytes == 12_000_000)
        #expect(family.kernel == "cuda:vector_add")
    }

    @Test("a description with a mistake is refused naming the option and the problem")
    func refusals() throws {
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "accepted" } catch { return "\(error)" }
        }
        #expect(message { _ = try Self.vectorAdd(parameters: ["BLOCK_SIZE=64,x"]) }.contains("--param"))
        #expect(message { _ = try Self.vectorAdd(constraints: ["BLOCK_SIZE * WIDTH < 10"]) }.contains("unknown name \"WIDTH\""))
        #expect(message { _ = try Self.vectorAdd(constraints: ["BLOCK_SIZE <"]) }.contains("--constraint"))
        #expect(message {
            _ = try CUDAUserKernel(sourceFile: Self.source, kernel: "vector_add", parameters: ["TILE=1"], constraints: [], problem: "n=8",
                                   arguments: ["c:double[n]:out"], block: "32", grid: "1")
        }.contains("buffer type \"double\""))
        #expect(message {
            _ = try CUDAUserKernel(sourceFile: Self.source, kernel: "vector_add", parameters: ["TILE=1"], constraints: [], problem: "n=8",
                                   arguments: ["c:float[n]"], block: "32", grid: "1")
        }.contains("no output to validate"))
        #expect(message {
            _ = try CUDAUserKernel(sourceFile: Self.source, kernel: "matmul", parameters: ["TILE=1"], constraints: [], problem: "n=8",
                                   arguments: ["c:float[n]:out"], block: "32", grid: "1")
        }.contains("no function \"matmul\""))
        #expect(message {
            _ = try CUDAUserKernel(sourceFile: "/nonexistent/k.cu", kernel: "k", parameters: ["TILE=1"], constraints: [], problem: "",
                                   arguments: [], block: "32", grid: "1")
        }.contains("/nonexistent/k.cu"))
        #expect(message {
            _ = try CUDAUserKernel(sourceFile: Self.source, kernel: "vector_add", parameters: ["TILE=1"], constraints: [], problem: "n=8",
                                   arguments: ["c:float[n]:out"], block: nil, grid: "1")
        }.contains("--block"))
    }
}

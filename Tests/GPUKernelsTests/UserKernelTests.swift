import CUDALibraries
import Foundation
@testable import GPUKernels
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

    @Test("reference outputs: .npy (float32, float64, int32) and raw values of the buffer's type")
    func referenceFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-ref-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func npy(_ descr: String, _ body: [UInt8]) -> Data {
            var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (3,), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            let length = UInt16(header.utf8.count)
            return Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(length & 0xff), UInt8(length >> 8)] + Array(header.utf8) + body)
        }
        let floats: [Float] = [1.5, -2, 3.25]
        let f4 = floats.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        let f8 = floats.flatMap { withUnsafeBytes(of: Double($0).bitPattern.littleEndian, Array.init) }
        let i4 = [Int32(1), -2, 3].flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }
        for (name, data, expected) in [("f4.npy", npy("<f4", f4), floats), ("f8.npy", npy("<f8", f8), floats),
                                       ("i4.npy", npy("<i4", i4), [1, -2, 3]), ("raw.bin", Data(f4), floats)] {
            let path = directory.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            #expect(try ReferenceFile.read(path: path, type: "float") == expected, "\(name)")
        }
        let odd = directory.appendingPathComponent("odd.bin").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: odd))
        #expect(throws: GPUError.self) { try ReferenceFile.read(path: odd, type: "float") }
        let unsupported = directory.appendingPathComponent("u2.npy").path
        try npy("<u2", [0, 0, 0, 0, 0, 0]).write(to: URL(fileURLWithPath: unsupported))
        #expect(throws: GPUError.self) { try ReferenceFile.read(path: unsupported, type: "float") }
    }
}

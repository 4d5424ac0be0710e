import Foundation
import HardwareProbe
import KernelModel
import Testing
import TunebenchCore
import TunebenchRuntime
import TuningDatabase

/// GPU records in the database, the artifact and the runtime's fallback chain: machines from
/// hwloc exports given the GPUs of an H200, an H100 and an A100 machine.
@Suite("GPU layers in deployments")
struct GPURuntimeTests {
    static func machine(_ fixture: String, gpu name: String, capability: String, sms: Int, memoryGiB: UInt64, deviceID: Int) throws -> HardwareProfile {
        var profile = try HardwareProbe.probe(topologyFile: RuntimeFixture.fixtures.appendingPathComponent(fixture).path)
        profile.gpus = [GPUInfo(vendor: "NVIDIA", vendorID: 0x10de, deviceID: deviceID, pciClass: 0x0302, pciBusID: "0000:1b:00.0",
                                name: name, memoryBytes: memoryGiB << 30, computeCapability: capability, multiprocessors: sms)]
        profile.id = Fingerprint.compute(profile)
        return profile
    }

    static let h200 = try! machine("32em64t-2n8c2t-pci-normalio.xml", gpu: "NVIDIA H200", capability: "9.0", sms: 132, memoryGiB: 141, deviceID: 0x2335)
    static let h100 = try! machine("28intel64-2p2g7c-CoDgroups.v1.xml", gpu: "NVIDIA H100 80GB HBM3", capability: "9.0", sms: 132, memoryGiB: 80, deviceID: 0x2330)
    static let a100 = try! machine("memorysidecaches.xml", gpu: "NVIDIA A100-SXM4-80GB", capability: "8.0", sms: 108, memoryGiB: 80, deviceID: 0x20b2)

    /// GPU records (kernels cuda-…) get their layer text as `tune --gpu` writes it.
    static func database(_ records: [(HardwareProfile, String, String)]) throws -> TuningDatabase {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tb-gpu-rt-\(UUID().uuidString).sqlite").path
        let database = try TuningDatabase(path: path)
        for profile in [h200, h100, a100] {
            let json = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
            try database.save(profile: ProfileRecord(id: profile.id, name: profile.name, json: json, addedAt: "2026-11-30T00:00:00Z"))
        }
        for (profile, layer, config) in records {
            let gpuName = ProfileSimilarity.cudaGPU(profile)?.name ?? "?"
            let text = config.hasPrefix("cuda-") ? GPULayerKey.text(key: layer, device: gpuName) : layer
            try database.record(best: RuntimeFixture.best(profile, text, config, seconds: 1e-4))
        }
        return database
    }

    /// What `tune --gpu --kernel gemm` records on a Hopper GPU (wgmma; mma.sync elsewhere).
    static let hopper = "cuda-gemm-wgmma BF16=0,BN=128,CONSUMERS=2,MT=2,STAGES=4"

    @Test("a layer tuned on both the CPU and the GPU answers each device with its own kernel")
    func cpuAndGPU() throws {
        let database = try Self.database([
            (Self.h200, "gemm m=512 n=4096 k=4096 fp16", Self.hopper),
            (Self.h200, "gemm m=512 n=4096 k=4096 fp16", "gemm kc=256,mc=96,mr=6,nr=16,threads=2"),
        ])
        let runtime = try TuningRuntime(store: database, machine: Self.h200, warn: { _ in })
        let layer = Layer.gemm(m: 512, n: 4096, k: 4096)
        let gpu = runtime.config(for: layer, precision: .fp16, device: .gpu)
        #expect(gpu.step == .exact && gpu.kernel == "cuda-gemm-wgmma" && gpu.config.int("MT") == 2)
        let cpu = runtime.config(for: layer, precision: .fp16)
        #expect(cpu.step == .exact && cpu.kernel == "gemm" && cpu.config.int("mr") == 6)
    }

    @Test("GPU fallback: nearest shape on this GPU, then the most similar GPU of its family, never another family")
    func fallbackChain() throws {
        let database = try Self.database([
            (Self.h200, "gemm m=512 n=4096 k=4096 fp16", Self.hopper),
            (Self.h100, "gemm m=32 n=4096 k=4096 fp16", "cuda-gemm-wgmma BF16=0,BN=64,CONSUMERS=1,MT=1,STAGES=3"),
            (Self.a100, "gemm m=32 n=4096 k=4096 bf16", "cuda-gemm-tc BF16=1,BK=32,BM=128,BN=64,STAGES=2,WM=64,WN=32"),
        ])
        let runtime = try TuningRuntime(store: database, machine: Self.h200, warn: { _ in })
        let near = runtime.config(for: Layer.gemm(m: 256, n: 4096, k: 4096), precision: .fp16, device: .gpu)
        #expect(near.step == .nearestShape && near.kernel == "cuda-gemm-wgmma" && near.config.int("MT") == 2)
        // Nothing in bf16 on the H200: the H100 has none either; the A100 (compute 8.0) is another family.
        let bf16 = runtime.config(for: Layer.gemm(m: 32, n: 4096, k: 4096), precision: .bf16, device: .gpu)
        #expect(bf16.step == .analytical)
        #expect(bf16.kernel == "cuda-gemm-wgmma")
        #expect(bf16.config == GPUDefaults.config(kernel: "cuda-gemm-wgmma", layer: Layer.gemm(m: 32, n: 4096, k: 4096), precision: .bf16))
        #expect(bf16.source.contains("NVIDIA H200"))
        // On the H100's profile, fp16 from its own record; asked for the H200's kernel family from an H100 with nothing: the H200's.
        let h100Runtime = try TuningRuntime(store: database, machine: Self.h100, warn: { _ in })
        let similar = h100Runtime.config(for: Layer.gemm(m: 512, n: 4096, k: 4096), precision: .fp16, device: .gpu)
        #expect(similar.step == .nearestShape)  // its own m=32 record is nearer than another machine
        let a100Runtime = try TuningRuntime(store: database, machine: Self.a100, warn: { _ in })
        let fromFamily = a100Runtime.config(for: Layer.gemm(m: 512, n: 4096, k: 4096), precision: .fp16, device: .gpu)
        #expect(fromFamily.step == .analytical, "the A100 takes no Hopper configuration: \(fromFamily.source)")
        #expect(fromFamily.kernel == "cuda-gemm-tc", "the A100 runs mma.sync, not wgmma")
        #expect(ProfileSimilarity.gpuDistance(Self.h200, Self.h100)! < 1)
        #expect(ProfileSimilarity.gpuDistance(Self.h200, Self.a100) == nil)
    }

    @Test("the similar-GPU step picks the nearest GPU of the family by SMs and memory")
    func similarGPU() throws {
        let database = try Self.database([(Self.h100, "gemm m=512 n=4096 k=4096 fp16", Self.hopper)])
        let runtime = try TuningRuntime(store: database, machine: Self.h200, warn: { _ in })
        let answer = runtime.config(for: Layer.gemm(m: 512, n: 4096, k: 4096), precision: .fp16, device: .gpu)
        #expect(answer.step == .similarProfile && answer.source.contains("NVIDIA H100"), "\(answer.source)")
        // Decode on the GPU: the GEMV's default with the widest aligned load.
        let decode = runtime.config(for: Layer.gemm(m: 1, n: 4096, k: 4096), precision: .int4, device: .gpu)
        #expect(decode.kernel == "cuda-gemv" && decode.config.int("VEC") == 16 && decode.config.int("WTYPE") == 2)
    }

    @Test("a user's CUDA kernel stays in the database and out of the artifact; export still works")
    func userKernelRecords() throws {
        let database = try Self.database([
            (Self.h200, "gemm m=512 n=4096 k=4096 fp16", Self.hopper),
            (Self.h200, "cuda vector_add.cu:vector_add n=1000000", "cuda:vector_add BLOCK_SIZE=128,TILE=2"),
        ])
        let artifact = try DeploymentArtifact.from(database)
        #expect(artifact.entries.map(\.kernel) == ["cuda-gemm-wgmma"])
        #expect(artifact.entries.map(\.device) == ["NVIDIA H200"])
        #expect(artifact.entries.map(\.layer) == ["gemm m=512 n=4096 k=4096"])
        // The JSON artifact round-trips the device; an artifact written before it reads as CPU records.
        let decoded = try JSONDecoder().decode(DeploymentArtifact.self, from: JSONEncoder().encode(artifact))
        #expect(decoded.entries == artifact.entries)
        #expect(try database.best().count == 2)
    }
}

import Foundation
import Testing

/// `compare A B --db` with `--device`: a database imported from an export holding a machine
/// with an A100 (an hwloc fixture given what the CUDA driver reports of one) and a CPU-only
/// fixture machine, one fp16 GEMM tuned on the GPU of one and the CPU of the other.
@Suite("compare on the command line")
struct CompareCLITests {
    /// This build's kernel-library version: records of another are not used, and no command
    /// prints it, so it is read where it is defined.
    static func kernelLibraryVersion() throws -> String {
        let source = try String(contentsOf: CLITests.root.appendingPathComponent("Sources/KernelModel/KernelLibrary.swift"), encoding: .utf8)
        let line = try #require(source.split(separator: "\n").first { $0.contains("static let version") })
        return try #require(line.split(separator: "\"").dropFirst().first.map(String.init))
    }

    static func probe(_ fixture: String) throws -> [String: Any] {
        let result = try CLITests.tunebench(["probe", "--topology", CLITests.fixtures.appendingPathComponent(fixture).path, "--json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    static func best(_ profile: String, _ layer: String, _ config: String, seconds: Double, version: String) -> [String: Any] {
        ["profileId": profile, "layer": layer, "kernelLibraryVersion": version, "kernel": String(config.prefix { $0 != " " }), "config": config,
         "medianSeconds": seconds, "gflops": 1, "defaultConfig": config, "runId": "run", "updatedAt": "2026-12-01T00:00:00Z"]
    }

    @Test("--device A=gpu: A's GPU record against B's CPU record, devices named, ratio and cost from the records; a CPU-only side on gpu is refused naming its profile")
    func gpuAgainstCPU() throws {
        let folder = try CLITests.temporaryDirectory()
        var gpuMachine = try Self.probe("32em64t-2n8c2t-pci-normalio.xml")
        gpuMachine["gpus"] = [["vendor": "NVIDIA Corporation", "vendorID": 0x10de, "deviceID": 0x20b2, "pciClass": 0x0302, "pciBusID": "0000:84:00.0",
                               "name": "NVIDIA A100-SXM4-80GB", "memoryBytes": 80 << 30, "computeCapability": "8.0", "multiprocessors": 108,
                               "computeBackends": ["CUDA"]]]
        let cpuMachine = try Self.probe("synthetic-1pack-8core-smt2.xml")
        let (a, b) = (try #require(gpuMachine["id"] as? String), try #require(cpuMachine["id"] as? String))
        let names = (try #require(gpuMachine["name"] as? String), try #require(cpuMachine["name"] as? String))
        let version = try Self.kernelLibraryVersion()
        let (gpuSeconds, cpuSeconds) = (2.5e-4, 5e-2)
        let dump: [String: Any] = [
            "format": "tunebench-tuning-database", "schemaVersion": 1, "runs": [], "trials": [],
            "profiles": try [gpuMachine, cpuMachine].map { profile in
                ["id": profile["id"]!, "name": profile["name"]!, "addedAt": "2026-12-01T00:00:00Z",
                 "json": String(decoding: try JSONSerialization.data(withJSONObject: profile), as: UTF8.self)]
            },
            "best": [
                Self.best(a, "gemm m=512 n=4096 k=4096 fp16 on NVIDIA A100-SXM4-80GB", "cuda-gemm-tc BF16=0,BK=64,BM=256,BN=128,STAGES=4,WM=64,WN=64",
                          seconds: gpuSeconds, version: version),
                Self.best(b, "gemm m=512 n=4096 k=4096 fp16", "gemm kc=256,mc=96,mr=6,nr=16,threads=2", seconds: cpuSeconds, version: version),
            ],
        ]
        try JSONSerialization.data(withJSONObject: dump).write(to: URL(fileURLWithPath: folder + "/dump.json"))
        let db = folder + "/tuning.sqlite"
        let imported = try CLITests.tunebench(["db", "import", folder + "/dump.json", "--db", db])
        #expect(imported.status == 0, "\(imported.stderr)")

        let result = try CLITests.tunebench(["compare", a, b, "--db", db, "--device", "A=gpu", "--precision", "fp16", "--cost", "A=3.50/h,B=1.20/h",
                                             "--markdown", "--html", folder + "/compare.html"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("A = \(a) (\(names.0)) on NVIDIA A100-SXM4-80GB (GPU) in fp16; B = \(b) (\(names.1)) on CPU in fp16"), "\(result.stdout)")
        let ratio = String(format: "%.2fx", cpuSeconds / gpuSeconds)
        #expect(result.stdout.contains("| gemm m=512 n=4096 k=4096 | 1 | cuda-gemm-tc fp16 | 0.2500 | 68719.5 | gemm fp16 | 50.0000 | 343.6 | A | \(ratio) |"),
                "\(result.stdout)")
        #expect(result.stdout.contains("per inference (each layer x its multiplicity): A 0.2500 ms, B 50.0000 ms: A serves it \(ratio) faster"), "\(result.stdout)")
        let (costA, costB) = (gpuSeconds * 3.50 / 3600 * 1e6, cpuSeconds * 1.20 / 3600 * 1e6)
        #expect(result.stdout.contains(String(format: "cost: A at 3.50/h: %.4f per million inferences; B at 1.20/h: %.4f per million inferences; cheaper: A (%.2fx)",
                                              costA, costB, costB / costA)), "\(result.stdout)")
        let page = try String(contentsOfFile: folder + "/compare.html", encoding: .utf8)
        #expect(page.contains("on <strong>NVIDIA A100-SXM4-80GB (GPU)</strong> in fp16"))

        // Mistakes stop the command before anything is printed.
        let refused = try CLITests.tunebench(["compare", a, b, "--db", db, "--device", "B=gpu"])
        #expect(refused.status == 64 && refused.stdout.isEmpty, "\(refused.stdout)")
        #expect(refused.stderr.contains("--device B=gpu: profile \(b) (\(names.1)) has no CUDA GPU to compare on: it lists no GPU"), "\(refused.stderr)")
        let unknown = try CLITests.tunebench(["compare", a, b, "--db", db, "--device", "A=tpu"])
        #expect(unknown.status == 64 && unknown.stderr.contains("--device: \"tpu\" is not one of cpu, gpu"), "\(unknown.stderr)")
        for (id, profile) in [(a, gpuMachine), (b, cpuMachine)] {
            try JSONSerialization.data(withJSONObject: profile).write(to: URL(fileURLWithPath: "\(folder)/\(id).json"))
        }
        let withoutDatabase = try CLITests.tunebench(["compare", a, b, "--profiles", folder, "--device", "A=gpu"])
        #expect(withoutDatabase.status == 64 && withoutDatabase.stderr.contains("--device and --precision compare tuned results: give --db"),
                "\(withoutDatabase.stderr)")
    }
}

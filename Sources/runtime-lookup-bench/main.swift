import Foundation
import KernelModel
import MachineIdentity
import TunebenchRuntime

// Measures a TuningRuntime lookup after loading: an artifact of this machine with LAYERS tuned
// layers (default 500, every precision), then 10^6 lookups cycling through them, repeated 7
// times: exact answers, answers of a fallback step (computed once, then served from memory),
// and a peer: a plain Dictionary read of the same keys. Prints ns per lookup (median, min, max).
// Usage: runtime-lookup-bench [LAYERS]
let layerCount = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 500
let machine = try LiveMachine.identify()
var entries: [DeploymentArtifact.Entry] = []
for index in 0..<layerCount {
    for precision in Precision.allCases {
        entries.append(.init(profile: machine.id, layer: "gemm m=\(32 + index) n=4096 k=4096 bias", precision: precision, kernel: "gemm",
                             parameters: ["kc": 256, "mc": 96, "mr": 6, "nr": 16, "threads": 2], expectedSeconds: 1e-3, gflops: 100,
                             chosenBy: precision == .int8 ? "max-error 0.01 over fp32,int8" : nil))
    }
}
let artifact = DeploymentArtifact(kernelLibraryVersion: KernelLibrary.version, exportedAt: "bench", profiles: [machine], entries: entries)
let runtime = try TuningRuntime(artifact: artifact, machine: machine, warn: { _ in })
let exactKeys = (0..<layerCount).map { "gemm m=\(32 + $0) n=4096 k=4096 bias" }
let fallbackKeys = (0..<layerCount).map { "gemm m=\(32 + $0) n=4096 k=4000 bias" }
for key in fallbackKeys { _ = try runtime.config(for: key) } // the one-time fallback resolution
var peer: [String: KernelConfig] = [:]
for key in exactKeys { peer[key] = try runtime.config(for: key).config }

let lookups = 1_000_000
func measure(_ body: (String) throws -> Int, keys: [String]) rethrows -> [Double] {
    var results: [Double] = []
    for _ in 0..<7 {
        var checksum = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<lookups { checksum &+= try body(keys[i % keys.count]) }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        precondition(checksum != 0)
        results.append(Double(elapsed) / Double(lookups))
    }
    return results.sorted()
}
func report(_ name: String, _ samples: [Double]) {
    let padded = name.padding(toLength: 30, withPad: " ", startingAt: 0)
    print(padded + String(format: "median %6.1f ns  min %6.1f  max %6.1f", samples[3], samples[0], samples[6]))
}
print("profile \(machine.id), \(layerCount) layers x \(Precision.allCases.count) precisions, \(lookups) lookups x 7 repetitions")
report("exact (chosen precision)", try measure({ try runtime.config(for: $0).config.values.count }, keys: exactKeys))
report("exact, precision fp32", try measure({ try runtime.config(for: $0, precision: .fp32).config.values.count }, keys: exactKeys))
report("nearest-shape (cached)", try measure({ try runtime.config(for: $0).config.values.count }, keys: fallbackKeys))
report("peer: [String: KernelConfig]", measure({ peer[$0]?.values.count ?? 0 }, keys: exactKeys))

import Foundation
import TunebenchRuntime

// Usage: deployment-example ARTIFACT.json|DATABASE.sqlite [LAYER ...]
// The artifact comes from `tunebench export -o deploy.json` on the tuned machine.
let arguments = Array(CommandLine.arguments.dropFirst())
guard let source = arguments.first else {
    print("usage: deployment-example ARTIFACT.json|DATABASE.sqlite [LAYER ...]")
    exit(2)
}
do {
    // Opened once at start-up; it identifies this machine (hwloc, cpuid) to pick its records.
    let runtime = source.hasSuffix(".sqlite")
        ? try TuningRuntime(databasePath: source)
        : try TuningRuntime(artifactPath: source)
    let layers = arguments.count > 1 ? Array(arguments.dropFirst())
        : ["gemm m=1 n=4096 k=4096", "gemm m=32 n=4096 k=4096 bias relu", "matmul m=128 n=128 k=64"]
    for layer in layers {
        // Never fails for a layer that was not tuned: the answer says which fallback produced it.
        let answer = try runtime.config(for: layer)
        let parameters = answer.config.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        print("\(layer): \(answer.kernel) \(answer.precision.rawValue) \(parameters) [\(answer.step.rawValue)]")
    }
} catch {
    print("deployment-example: \(error)")
    exit(1)
}

import KernelModel
import MachineIdentity
import TunebenchRuntime
import TuningDatabase
import Workloads

extension TunedComparison {
    /// `compare A B --db`: the two profiles' records in `database` (this kernel-library version)
    /// for the layers of an ONNX model at bound dimensions, or for every layer tuned on A or B
    /// (on the device each is compared on), each side answered for its target's device.
    public static func from(_ database: any TuningStore, a: HardwareProfile, b: HardwareProfile,
                            model: (path: String, dimensions: [(name: String, size: Int)])?, prices: HourlyPrices,
                            targets: (a: ComparisonTarget, b: ComparisonTarget) = (.cpu, .cpu)) throws -> TunedComparison {
        // A and B may be one profile (its GPU against its CPU): a Set literal would trap on the repeated id.
        let artifact = try DeploymentArtifact.from(database, profileIDs: Set([a.id, b.id]))
        let runtime = try TuningRuntime(artifact: artifact, machine: a, warn: { _ in })
        let layers: [(layer: Layer, multiplicity: Int)]
        let scope: String
        if let model {
            let dimensions = Dictionary(model.dimensions.map { ($0.name, $0.size) }, uniquingKeysWith: { _, last in last })
            let plan = try ONNXImport.plan(path: model.path, dimensions: dimensions)
            layers = plan.workload.uniqueLayers.map { ($0.layer, $0.multiplicity) }
            let bound = model.dimensions.map { "\($0.name)=\($0.size)" }.joined(separator: ", ")
            scope = "the layers of \(model.path)\(bound.isEmpty ? "" : " (\(bound))")"
        } else {
            // Only records of the compared devices: A's CPU records are no layer of A's GPU side.
            func compared(_ entry: DeploymentArtifact.Entry) -> Bool {
                targets.a.holds(entry, of: a) || targets.b.holds(entry, of: b)
            }
            let entries = artifact.entries.filter(compared)
            // The artifact names layers by key: read them back here, at its boundary.
            let tuned = try Set(entries.map(\.layer)).sorted().map { try Layer.parse(key: $0).layer }
            // A GPU record is of a layer's product (GPUDefaults.computed): it answers the CPU
            // side's layers with their epilogue, and is no row of its own unless a CPU tuned it too.
            let onCPU = Set(entries.filter { $0.device == nil }.map(\.layer))
            let servedProducts = Set(tuned.filter { GPUDefaults.computed($0) != $0 }.map { GPUDefaults.computed($0) })
            layers = tuned.filter { onCPU.contains($0.description) || !servedProducts.contains($0) }.map { ($0, 1) }
            scope = "every layer tuned on A or B, each counted once"
        }
        return try TunedComparison(a: a, b: b, runtime: runtime, layers: layers, scope: scope, pricePerHourA: prices.a, pricePerHourB: prices.b,
                                   targetA: targets.a, targetB: targets.b)
    }
}

import Kernels
import TunebenchCore
import Workloads

extension ModelRun {
    /// The model's one input from a float32 .npy file (`run --input`).
    public func inputs(npyPath path: String) throws -> [String: Tensor] {
        guard plan.inputs.count == 1, let name = plan.inputs.first?.name else {
            throw OptionError("--input gives one tensor; the model has \(plan.inputs.count) inputs")
        }
        return [name: try NPYFile.load(path: path)]
    }
}

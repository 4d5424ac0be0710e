import ModelEngine
import TunebenchCore
import Workloads

extension ModelRun {
    /// The model's inputs from a .npy file (one input) or a .npz archive (by name): `run --input`.
    public func inputs(path: String) throws -> [String: Tensor] {
        try ModelInputs.load(path: path, plan: plan)
    }
}

import HardwareProbe
import Kernels

extension RecordedSpace {
    /// The space a finished `tune` run searched (the request's kernel and fixed parameters on
    /// `profile`'s caches), with the run's trials: what `tune --write-space` writes.
    public init(result: TuneResult, request: TuneRequest, profile: HardwareProfile) throws {
        let kernel = try KernelCatalog.kernel(for: request.problem, limits: MachineSizes(profile: profile))
        self.init(result: result, space: try kernel.space.fixing(request.fixed), profileID: profile.id, fixed: request.fixed,
                  analytical: try? kernel.defaultConfig.applying(overrides: request.fixed))
    }
}

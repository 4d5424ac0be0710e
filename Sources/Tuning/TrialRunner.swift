import Kernels

/// Measures configurations of one problem: in this process, or in a worker process that a
/// crash or hang cannot take down with the search.
public protocol TrialRunner: AnyObject {
    /// Never throws for a configuration's own failure: that is an outcome (invalid, wrong
    /// result, crashed, timed out).
    func measure(_ problem: KernelProblem, limits: MachineSizes, config: KernelConfig, settings: TrialSettings) -> TrialOutcome
    /// Races the configurations interleaved (A B C, C B A …) for `rounds` rounds.
    func race(_ problem: KernelProblem, limits: MachineSizes, configs: [KernelConfig], rounds: Int,
              settings: TrialSettings) throws -> RaceOutcome
}

import Kernels

/// One line of JSON from the tuner to its worker process.
struct WorkerRequest: Codable, Sendable {
    enum Operation: String, Codable, Sendable { case measure, race }

    var operation: Operation
    var problem: KernelProblem
    var limits: MachineSizes
    var configs: [KernelConfig]
    var rounds: Int
    var settings: TrialSettings
}

/// One line of JSON back: the outcome, the race, or why the request itself failed.
struct WorkerResponse: Codable, Sendable {
    var outcome: TrialOutcome?
    var race: RaceOutcome?
    var error: String?
}

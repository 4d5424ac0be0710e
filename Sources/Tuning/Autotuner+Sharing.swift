import Crypto
import Foundation
import Kernels
import TunebenchCore
import TuningDatabase

extension Autotuner {
    /// How a tuner splits a workload with others through the database: all tuners started with
    /// the same name on machines with the same profile (fingerprint), the same workload and
    /// the same precision policy work through one queue of its unique layers.
    public struct Sharing: Sendable {
        public var work: any SharedWork
        /// The name the tuners agree on (a job's name).
        public var name: String
        /// This tuner, as other tuners see it in the database.
        public var worker: String
        /// Seconds a claim lives without renewal: how long a dead tuner's layer waits before
        /// another takes it over.
        public var leaseSeconds: Double
        /// Seconds between looks at the queue while other tuners hold its last layers.
        public var pollSeconds: Double

        public init(work: any SharedWork, name: String, worker: String = Sharing.defaultWorkerName(),
                    leaseSeconds: Double = 60, pollSeconds: Double? = nil) {
            self.work = work
            self.name = name
            self.worker = worker
            self.leaseSeconds = leaseSeconds
            // Often enough that a dead tuner's layer is taken over soon after its lease ends.
            self.pollSeconds = pollSeconds ?? min(2, leaseSeconds / 3)
        }

        /// host:pid:random, unique across machines and restarts.
        public static func defaultWorkerName() -> String {
            "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
        }
    }

    /// The queue of `request`'s layers for tuners of this profile and kernel library: the
    /// sharing name, then what must be equal for two tuners to share (a digest of the unique
    /// layers, the precision policy, the strategy, the fixed parameters and the time budget).
    func queueName(_ request: Request, plan: AutotunePlan, sharing: Sharing) -> String {
        let identity = ([request.policy, request.strategy, request.fixed, "\(request.totalSeconds)", "\(request.retune)"]
            + plan.unique.map(\.layer.description)).joined(separator: "\n")
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        return "\(sharing.name) \(tuner.profile.id) \(KernelLibrary.version) \(digest)"
    }

    /// Claims layers until every layer of the queue is done (by this tuner or another one),
    /// then reports them all. A layer whose tuner died is taken over when its lease expires.
    func runShared(_ request: Request, plan: AutotunePlan, budget: AutotuneBudget, sharing: Sharing,
                   progress: (Progress) -> Void) throws -> [LayerResult] {
        let queue = queueName(request, plan: plan, sharing: sharing)
        let items = plan.unique.map(\.layer.description)
        // Longest first (each layer's planned search time): the last layers claimed are then the
        // short ones, and the tuners finish close together.
        let time = { (index: Int) in plan.shares[index] * Double(plan.precisions[index].count) }
        let longestFirst = items.indices.sorted { (time($0), -$0) > (time($1), -$1) }
        try sharing.work.enqueue(queue: queue, items: longestFirst.map { items[$0] })
        var mine: [Int: LayerResult] = [:]
        while true {
            guard let claim = try sharing.work.claim(queue: queue, worker: sharing.worker, lease: sharing.leaseSeconds) else {
                let state = try sharing.work.progress(queue: queue)
                if state.finished { break }
                progress(.waiting(state))
                Thread.sleep(forTimeInterval: sharing.pollSeconds)
                continue
            }
            guard let index = items.firstIndex(of: claim.item) else {
                // The queue's digest covers the layers, so only a hand-edited table gets here.
                throw FileError(path: tuner.database.address, message: "shared queue \"\(queue)\" holds \"\(claim.item)\", which is not a layer of this workload")
            }
            progress(.claimed(layer: plan.unique[index].layer, claim: claim))
            let keeper = LeaseKeeper(work: sharing.work, claim: claim, leaseSeconds: sharing.leaseSeconds)
            do {
                // A retune searches again what it claims; a layer tuned before (by an earlier
                // autotune, or by a tuner that died after recording it) is reused.
                let existing = request.retune ? [] : try recordedBest()
                let result = try layer(index, plan: plan, request: request, existing: existing, budget: budget,
                                       stillOwned: { try keeper.stillOwned() }, progress: progress)
                keeper.stop()
                if try sharing.work.complete(claim) { mine[index] = result } else { progress(.claimLost(layer: plan.unique[index].layer)) }
            } catch is TuneInterrupted {
                keeper.stop()
                progress(.claimLost(layer: plan.unique[index].layer))
            } catch {
                keeper.stop()
                throw error
            }
        }
        // The layers other tuners did, from what they recorded.
        let recorded = try recordedBest()
        return try plan.unique.indices.map { index in
            try mine[index] ?? layer(index, plan: plan, request: request, existing: recorded, budget: nil, progress: { _ in })
        }
    }
}

import Foundation
import Synchronization
import TuningDatabase

/// Keeps a shared layer's lease alive while this tuner works on it: a thread renews it every
/// third of the lease (a trial, the final race or preparing large weights can outlast a lease),
/// and `stillOwned()` renews it once more before anything is written. A claim is lost only
/// when this process stalled longer than the lease and another tuner took the layer over;
/// then nothing more is written for it.
final class LeaseKeeper: Sendable {
    private let work: any SharedWork
    let claim: WorkClaim
    private let leaseSeconds: Double
    private let state = Mutex(State())
    private let exited = DispatchSemaphore(value: 0)

    private struct State {
        var lost = false
        var stopped = false
    }

    init(work: any SharedWork, claim: WorkClaim, leaseSeconds: Double) {
        self.work = work
        self.claim = claim
        self.leaseSeconds = leaseSeconds
        let thread = Thread { [self] in renewUntilStopped() }
        thread.name = "tunebench lease"
        thread.start()
    }

    /// Renews the lease now; false once the claim is lost.
    func stillOwned() throws -> Bool {
        if state.withLock({ $0.lost }) { return false }
        let owned = try work.renew(claim, lease: leaseSeconds)
        if !owned { state.withLock { $0.lost = true } }
        return owned
    }

    /// Ends the renewals (call before completing the claim).
    func stop() {
        state.withLock { $0.stopped = true }
        exited.wait()
    }

    private func renewUntilStopped() {
        defer { exited.signal() }
        var lastRenewal = Date()
        while !state.withLock({ $0.stopped || $0.lost }) {
            Thread.sleep(forTimeInterval: min(0.1, leaseSeconds / 10))
            guard Date().timeIntervalSince(lastRenewal) >= leaseSeconds / 3 else { continue }
            // A failed renewal (the server unreachable for a moment) is retried on the next
            // tick; only a renewal the server refuses marks the claim lost.
            if let owned = try? work.renew(claim, lease: leaseSeconds) {
                lastRenewal = Date()
                if !owned { state.withLock { $0.lost = true } }
            }
        }
    }
}

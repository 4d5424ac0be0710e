import Foundation
import HardwareProbe

/// Runs one body on N threads at once, each pinned through hwloc to its own PU, and times the
/// span from a common start (a barrier) to the last thread's end (a second barrier).
public struct PinnedThreadTeam: Sendable {
    public let topology: HwlocTopology

    public init(topology: HwlocTopology) {
        self.topology = topology
    }

    /// Wall seconds for all `threads` to run `body(threadIndex)` from a common start.
    /// `body` must do only the measured work; set-up belongs in a separate `run`.
    public func run(threads: Int, _ body: @escaping @Sendable (Int) -> Void) -> Double {
        precondition(threads >= 1, "a team needs at least one thread")
        let pus = topology.pinningPUs(threads: threads)
        let shared = TeamState(threads: threads)
        let done = DispatchSemaphore(value: 0)
        for index in 0..<threads {
            let topology = topology
            let thread = Thread {
                if index < pus.count { topology.bindCurrentThread(toPU: pus[index]) }
                shared.wait()
                if index == 0 { shared.start = MonotonicClock.seconds() }
                body(index)
                shared.wait()
                if index == 0 { shared.end = MonotonicClock.seconds() }
                done.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        for _ in 0..<threads { done.wait() }
        return shared.end - shared.start
    }
}

/// The barrier and the two timestamps a team shares.
///
/// `@unchecked Sendable`: `start` and `end` are written only by thread 0, and read by the caller
/// only after every thread signalled `done` (the semaphore orders those accesses); the barrier
/// is a pthread object made for concurrent use.
private final class TeamState: @unchecked Sendable {
    private let barrier: UnsafeMutablePointer<pthread_barrier_t>
    var start = 0.0
    var end = 0.0

    init(threads: Int) {
        barrier = .allocate(capacity: 1)
        pthread_barrier_init(barrier, nil, UInt32(threads))
    }

    deinit {
        pthread_barrier_destroy(barrier)
        barrier.deallocate()
    }

    func wait() { pthread_barrier_wait(barrier) }
}

public enum MonotonicClock {
    public static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}

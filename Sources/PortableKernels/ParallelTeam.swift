import CIntegerKernels
import Foundation
import Synchronization

/// A fixed team of threads for kernels: `run` executes `body(0)` on the calling thread and
/// `body(1..<size)` on persistent workers, and returns when all are done. Workers are created
/// once (pinned by the caller's `pin` closure, e.g. through hwloc), so a call costs a wake-up,
/// not a thread creation.
///
/// `@unchecked Sendable`: the job slot is written only by the caller before the job's generation
/// is published and read by workers after they see it; completion is published through an
/// atomic count. One `run` at a time (calls are serialized by `lock`).
public final class ParallelTeam: @unchecked Sendable {
    public let size: Int
    private let state: State
    private let lock = NSLock()

    /// `pin(index)` runs once on each worker thread (index 1..<size) before its first job; the
    /// calling thread (index 0) is the caller's to pin.
    public init(size: Int, pin: (@Sendable (Int) -> Void)? = nil) {
        precondition(size >= 1 && size < 1 << State.participantBits, "a team has at least one thread and fewer than 2^20")
        self.size = size
        state = State(workers: size - 1)
        for index in 1..<max(size, 1) {
            let state = state
            let thread = Thread {
                pin?(index)
                state.workerLoop(index: index)
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit {
        state.shutdown()
    }

    /// Runs `body(i)` for every i in 0..<size, concurrently; i == 0 on the calling thread.
    public func run(_ body: (Int) -> Void) {
        run(threads: size, body)
    }

    /// Runs `body(i)` for i in 0..<min(threads, size) only: the other workers stay asleep (a
    /// kernel configured for one thread costs no wake-up at all, however large the team).
    public func run(threads: Int, _ body: (Int) -> Void) {
        let count = min(max(threads, 1), size)
        guard count > 1 else { return body(0) }
        lock.lock()
        defer { lock.unlock() }
        withoutActuallyEscaping(body) { escapable in
            state.start(escapable, workers: count - 1)
            escapable(0)
            state.waitForWorkers(count - 1)
        }
    }

    /// Splits 0..<count into `size` contiguous chunks, each a multiple of `granule` except the last.
    public static func chunk(_ index: Int, of parts: Int, count: Int, granule: Int = 1) -> Range<Int> {
        let units = (count + granule - 1) / granule
        let lower = min(count, units * index / parts * granule)
        let upper = min(count, units * (index + 1) / parts * granule)
        return lower..<upper
    }

    /// The hand-off between the caller and the workers. A worker spins on the job's ticket for
    /// `spinNanoseconds` after each job before it sleeps on its semaphore: waking a sleeping
    /// thread costs a futex call and, under KVM, an interrupt to a halted virtual CPU, which
    /// small kernels (256³ at 2 threads: about 0.2 ms a call) paid on every call and which
    /// made their speed bimodal between runs. OpenBLAS's workers spin likewise.
    private final class State: @unchecked Sendable {
        /// How long an idle worker spins before it sleeps.
        static let spinNanoseconds: UInt64 = 500_000

        /// One worker's sleep: `sleeping` is set by the worker before it waits on `wake`, and
        /// cleared by whoever sees it set first; the caller signals `wake` when it cleared it.
        final class Slot: Sendable {
            let sleeping = Atomic<Bool>(false)
            let wake = DispatchSemaphore(value: 0)
        }

        private let slots: [Slot]
        /// The current job's ticket: its generation (bumped by every job and by shutdown) above
        /// `participantBits`, and below them how many workers take part (workers
        /// 1...participants; the others let it pass). One word, so a worker reads both at once:
        /// read apart, a worker late to let one job pass could take the next one's count and
        /// run that job twice.
        private let ticket = Atomic<Int>(0)
        static let participantBits = 20
        /// Participants still running the current job.
        private let remaining = Atomic<Int>(0)
        private let stopping = Atomic<Bool>(false)
        /// Written by the caller before the ticket is published, read by participants after they
        /// see it (the bump's ordering publishes it), cleared after they are done.
        private var job: ((Int) -> Void)?

        init(workers: Int) {
            slots = (0..<workers).map { _ in Slot() }
        }

        /// Starts workers 1...workers on `body`.
        func start(_ body: @escaping (Int) -> Void, workers: Int) {
            job = body
            remaining.store(workers, ordering: .relaxed)
            publish(participants: workers)
            for slot in slots.prefix(workers) where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                slot.wake.signal()
            }
        }

        /// Returns when every participant has finished (the caller ran its own share meanwhile,
        /// so this is usually short): spins, yielding the CPU every 256 steps.
        func waitForWorkers(_ workers: Int) {
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 {
                spins += 1
                if spins & 255 == 0 { sched_yield() } else { ckq_spin_pause() }
            }
            job = nil
        }

        /// A new ticket (only the caller writes it, under the team's lock, or shutdown).
        private func publish(participants: Int) {
            let generation = ticket.load(ordering: .relaxed) >> Self.participantBits + 1
            ticket.store(generation << Self.participantBits | participants, ordering: .sequentiallyConsistent)
        }

        func workerLoop(index: Int) {
            let slot = slots[index - 1]
            var seen = 0
            while true {
                let current = nextTicket(after: seen, slot: slot)
                if stopping.load(ordering: .acquiring) { return }
                seen = current
                guard index <= current & (1 << Self.participantBits - 1) else { continue }
                job?(index)
                remaining.subtract(1, ordering: .releasing)
            }
        }

        /// Waits for a ticket other than `seen`: spins, then announces that it sleeps and sleeps
        /// unless a job came meanwhile. Either the caller sees `sleeping` and signals, or this
        /// thread sees the new ticket; when both, whoever clears `sleeping` decides whether a
        /// signal is on its way (and this thread then takes it).
        private func nextTicket(after seen: Int, slot: Slot) -> Int {
            var current = ticket.load(ordering: .acquiring)
            var spinStart: UInt64 = 0
            var spins = 0
            while current == seen {
                spins += 1
                if spins & 255 == 0 {
                    // With more threads than cores (other teams, other processes) a spinner
                    // must not keep a core from the thread that has the work: yield now and
                    // then, as OpenBLAS's spinning workers do.
                    sched_yield()
                    let now = DispatchTime.now().uptimeNanoseconds
                    if spinStart == 0 { spinStart = now }
                    if now - spinStart > Self.spinNanoseconds {
                        slot.sleeping.store(true, ordering: .sequentiallyConsistent)
                        if ticket.load(ordering: .sequentiallyConsistent) == seen {
                            slot.wake.wait()
                        } else if !slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                            slot.wake.wait()  // the caller cleared it first: its signal is on the way
                        }
                        spinStart = 0
                    }
                }
                ckq_spin_pause()
                current = ticket.load(ordering: .acquiring)
            }
            return current
        }

        func shutdown() {
            stopping.store(true, ordering: .sequentiallyConsistent)
            publish(participants: 0)
            for slot in slots where slot.sleeping.exchange(false, ordering: .sequentiallyConsistent) {
                slot.wake.signal()
            }
        }
    }
}

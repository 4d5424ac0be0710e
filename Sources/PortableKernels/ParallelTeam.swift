import Foundation

/// A fixed team of threads for kernels: `run` executes `body(0)` on the calling thread and
/// `body(1..<size)` on persistent workers, and returns when all are done. Workers are created
/// once (pinned by the caller's `pin` closure, e.g. through hwloc), so a call costs a wake-up,
/// not a thread creation.
///
/// `@unchecked Sendable`: the job slot is written only by the caller before the start
/// semaphores are signalled and read by workers after they wait on them; completion is
/// published through the done semaphore. One `run` at a time (calls are serialized by `lock`).
public final class ParallelTeam: @unchecked Sendable {
    public let size: Int
    private let state: State
    private let lock = NSLock()

    /// `pin(index)` runs once on each worker thread (index 1..<size) before its first job; the
    /// calling thread (index 0) is the caller's to pin.
    public init(size: Int, pin: (@Sendable (Int) -> Void)? = nil) {
        precondition(size >= 1, "a team has at least one thread")
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

    private final class State: @unchecked Sendable {
        private let starts: [DispatchSemaphore]
        private let done = DispatchSemaphore(value: 0)
        private var job: ((Int) -> Void)?
        private var stopping = false

        init(workers: Int) {
            starts = (0..<workers).map { _ in DispatchSemaphore(value: 0) }
        }

        /// Wakes workers 1...workers.
        func start(_ body: @escaping (Int) -> Void, workers: Int) {
            job = body
            for semaphore in starts.prefix(workers) { semaphore.signal() }
        }

        func waitForWorkers(_ workers: Int) {
            for _ in 0..<workers { done.wait() }
            job = nil
        }

        func workerLoop(index: Int) {
            while true {
                starts[index - 1].wait()
                if stopping { return }
                job?(index)
                done.signal()
            }
        }

        func shutdown() {
            stopping = true
            for semaphore in starts { semaphore.signal() }
        }
    }
}

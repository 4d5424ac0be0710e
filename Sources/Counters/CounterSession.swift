import CPAPI
import Foundation
import MachineIdentity

/// Counts events around a measured region on the calling thread, following the fallback chain
/// of docs/DESIGN.md: the requested PAPI events that really start here; if none of them counts
/// hardware, PAPI's perf_event software events; if PAPI cannot start anything, clocks only
/// (the thread's CPU time). It never fails a measurement for a missing counter.
///
/// PAPI counts per thread: a multithreaded kernel needs one session per thread, created and
/// started on that thread (PAPI's thread support is initialized on first use).
public final class CounterSession {
    /// The events PAPI tries when the caller asks for the defaults: cycles, instructions,
    /// L1/L2/L3 misses, single-precision FP operations.
    public static let defaultHardwareEvents = ["PAPI_TOT_CYC", "PAPI_TOT_INS", "PAPI_L1_DCM", "PAPI_L2_DCM", "PAPI_L3_TCM", "PAPI_SP_OPS"]
    /// Software events that work without a CPU PMU.
    public static let softwareEvents = ["perf::TASK-CLOCK", "perf::PAGE-FAULTS", "perf::CONTEXT-SWITCHES"]

    public let backend: CounterInventory.Backend
    /// The events this session counts, in order.
    public let events: [String]
    /// Requested events that could not be counted here.
    public let dropped: [String]
    private var eventSet: Int32 = PAPI_NULL
    private var cpuStart = 0.0
    private var values: [Int64]

    /// - Parameters:
    ///   - requested: PAPI event names; empty means `defaultHardwareEvents`.
    ///   - multiplex: let PAPI time-share counters when more events than counters are asked for.
    public init(requested: [String] = [], multiplex: Bool = false) {
        let wanted = requested.isEmpty ? Self.defaultHardwareEvents : requested
        var eventSet: Int32 = PAPI_NULL
        let (counting, dropped) = PAPILibrary.serialized { () -> ([String], [String]) in
            var counting: [String] = []
            var dropped: [String] = []
            if PAPIThreads.ready, PAPI_create_eventset(&eventSet) == PAPI_OK {
                if multiplex, PAPIThreads.multiplexReady, PAPI_assign_eventset_component(eventSet, 0) == PAPI_OK {
                    _ = PAPI_set_multiplex(eventSet)
                }
                for name in wanted {
                    if Self.add(name, to: eventSet) { counting.append(name) } else { dropped.append(name) }
                }
                if !counting.contains(where: { !SoftwareEvents.isSoftware($0) }) {
                    for name in Self.softwareEvents where !counting.contains(name) && Self.add(name, to: eventSet) {
                        counting.append(name)
                    }
                }
                // An event set that cannot start falls back to clocks as a whole.
                if counting.isEmpty || PAPI_start(eventSet) != PAPI_OK {
                    counting = []
                    dropped = wanted
                } else {
                    var scratch = [Int64](repeating: 0, count: counting.count)
                    PAPI_stop(eventSet, &scratch)
                }
            } else {
                dropped = wanted
            }
            return (counting, dropped)
        }
        self.eventSet = eventSet
        events = counting
        self.dropped = dropped
        values = [Int64](repeating: 0, count: max(1, counting.count))
        if counting.contains(where: { !SoftwareEvents.isSoftware($0) }) {
            backend = .papiHardware
        } else if !counting.isEmpty {
            backend = .papiSoftware
        } else {
            backend = .clock
        }
    }

    deinit {
        guard eventSet != PAPI_NULL else { return }
        PAPI_cleanup_eventset(eventSet)
        PAPI_destroy_eventset(&eventSet)
    }

    private static func add(_ name: String, to eventSet: Int32) -> Bool {
        var code: Int32 = 0
        guard PAPI_event_name_to_code(name, &code) == PAPI_OK else { return false }
        return PAPI_add_event(eventSet, code) == PAPI_OK
    }

    public func start() {
        cpuStart = Self.threadCPUSeconds()
        if !events.isEmpty { PAPI_start(eventSet) }
    }

    /// Counts since `start()`, by event name, plus "cpu-seconds" (the thread's CPU time), which
    /// every backend has.
    public func stop() -> [String: Double] {
        var result: [String: Double] = ["cpu-seconds": Self.threadCPUSeconds() - cpuStart]
        if !events.isEmpty, PAPI_stop(eventSet, &values) == PAPI_OK {
            for (index, name) in events.enumerated() { result[name] = Double(values[index]) }
        }
        return result
    }

    /// Seconds one start/stop pair costs on this thread (median of 101), to report beside counts.
    public func overheadSeconds() -> Double {
        var samples: [Double] = []
        for _ in 0..<101 {
            let begin = Self.monotonicSeconds()
            start()
            _ = stop()
            samples.append(Self.monotonicSeconds() - begin)
        }
        return samples.sorted()[samples.count / 2]
    }

    static func threadCPUSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}

/// PAPI's thread support, initialized once per process (it must be before event sets are
/// created on more than one thread).
enum PAPIThreads {
    static var ready: Bool { PAPILibrary.shared.threadsReady }

    static let multiplexReady: Bool = ready && PAPI_multiplex_init() == PAPI_OK
}

import HardwareProbe
import Kernels

/// A kernel team whose threads are pinned one per core through hwloc; the calling thread is
/// pinned to the first core's PU too, as thread 0.
public enum PinnedTeam {
    public static func make(size: Int, topology: HwlocTopology) -> ParallelTeam {
        let pus = topology.pinningPUs(threads: size)
        if let first = pus.first { topology.bindCurrentThread(toPU: first) }
        return ParallelTeam(size: size) { index in
            if index < pus.count { topology.bindCurrentThread(toPU: pus[index]) }
        }
    }
}

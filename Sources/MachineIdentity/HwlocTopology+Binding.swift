import CHwloc

extension HwlocTopology {
    /// OS indexes of the PUs to pin `threads` workers to: one PU per core, cores in topology
    /// order (so threads fill packages and caches in order), and SMT siblings only once every
    /// core has a thread.
    public func pinningPUs(threads: Int) -> [Int] {
        let cores = objects(ofType: HWLOC_OBJ_CORE)
        let puLists: [[Int]] = cores.isEmpty
            ? objects(ofType: HWLOC_OBJ_PU).map { [Int($0.pointee.os_index)] }
            : cores.map(Self.puIndexes)
        var order: [Int] = []
        let deepest = puLists.map(\.count).max() ?? 0
        for sibling in 0..<deepest {
            for list in puLists where sibling < list.count { order.append(list[sibling]) }
        }
        guard !order.isEmpty else { return [] }
        return (0..<threads).map { order[$0 % order.count] }
    }

    /// Binds the calling thread to one PU. Returns false where binding is not supported (an XML
    /// topology, or an OS without thread binding); the caller measures unpinned then.
    @discardableResult
    public func bindCurrentThread(toPU osIndex: Int) -> Bool {
        guard xmlPath == nil, let pu = hwloc_get_pu_obj_by_os_index(handle, UInt32(osIndex)),
              let cpuset = pu.pointee.cpuset else { return false }
        return hwloc_set_cpubind(handle, cpuset, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0
    }

    private static func puIndexes(_ core: hwloc_obj_t) -> [Int] {
        guard let cpuset = core.pointee.cpuset else { return [] }
        var indexes: [Int] = []
        var index = hwloc_bitmap_first(cpuset)
        while index >= 0 {
            indexes.append(Int(index))
            index = hwloc_bitmap_next(cpuset, index)
        }
        return indexes
    }
}

extension HwlocTopology {
    /// The PU the calling thread last ran on (the OS index), or nil where hwloc cannot tell.
    public func lastPUOfCurrentThread() -> Int? {
        guard let set = hwloc_bitmap_alloc() else { return nil }
        defer { hwloc_bitmap_free(set) }
        guard hwloc_get_last_cpu_location(handle, set, Int32(HWLOC_CPUBIND_THREAD.rawValue)) == 0 else { return nil }
        let first = hwloc_bitmap_first(set)
        return first >= 0 ? Int(first) : nil
    }
}

import CHwloc

extension HwlocTopology {
    /// Counts, caches, NUMA nodes, CPU kinds and the object tree.
    public func topologyInfo() -> TopologyInfo {
        let pus = objects(ofType: HWLOC_OBJ_PU).count
        let cores = objects(ofType: HWLOC_OBJ_CORE)
        let threadsPerCore = cores.map(Self.puCount).max() ?? 1
        return TopologyInfo(
            packages: objects(ofType: HWLOC_OBJ_PACKAGE).count,
            cores: cores.isEmpty ? pus : cores.count,
            pus: pus,
            threadsPerCore: max(1, threadsPerCore),
            numaNodes: numaNodes(),
            caches: caches(),
            cpuKinds: cpuKinds(),
            tree: node(root)
        )
    }

    func numaNodes() -> [NUMANode] {
        objects(ofType: HWLOC_OBJ_NUMANODE).map { object in
            let memory = object.pointee.attr?.pointee.numanode.local_memory ?? 0
            return NUMANode(
                osIndex: Int(object.pointee.os_index),
                memoryBytes: memory > 0 ? memory : nil,
                pus: Self.puCount(object)
            )
        }
    }

    /// Every cache instance, grouped into identical kinds with a count.
    func caches() -> [CacheInfo] {
        let cpuCaches = allNormalObjects().filter { hwloc_obj_type_is_cache($0.pointee.type) != 0 }
        let memorySide = objects(ofType: HWLOC_OBJ_MEMCACHE)
        var counts: [CacheInfo: Int] = [:]
        var order: [CacheInfo] = []
        for object in cpuCaches + memorySide {
            guard let attr = object.pointee.attr?.pointee.cache else { continue }
            let type: CacheInfo.CacheType
            if object.pointee.type == HWLOC_OBJ_MEMCACHE {
                type = .memorySide
            } else {
                switch attr.type {
                case HWLOC_OBJ_CACHE_DATA: type = .data
                case HWLOC_OBJ_CACHE_INSTRUCTION: type = .instruction
                default: type = .unified
                }
            }
            let key = CacheInfo(
                level: Int(attr.depth), type: type, sizeBytes: attr.size,
                lineBytes: attr.linesize > 0 ? Int(attr.linesize) : nil,
                associativity: attr.associativity == 0 ? nil : Int(attr.associativity),
                sharedByPUs: Self.puCount(object), count: 0
            )
            if counts[key] == nil { order.append(key) }
            counts[key, default: 0] += 1
        }
        return order.map { key in
            var cache = key
            cache.count = counts[key] ?? 0
            return cache
        }.sorted { ($0.type == .memorySide ? 1 : 0, $0.level, $0.type.rawValue, $0.sizeBytes)
            < ($1.type == .memorySide ? 1 : 0, $1.level, $1.type.rawValue, $1.sizeBytes) }
    }

    func cpuKinds() -> [CPUKind] {
        let count = hwloc_cpukinds_get_nr(handle, 0)
        guard count > 0, let cpuset = hwloc_bitmap_alloc() else { return [] }
        defer { hwloc_bitmap_free(cpuset) }
        var kinds: [CPUKind] = []
        for index in 0..<UInt32(count) {
            var efficiency: Int32 = -1
            var infoCount: UInt32 = 0
            var infos: UnsafeMutablePointer<hwloc_info_s>?
            guard hwloc_cpukinds_get_info(handle, index, cpuset, &efficiency, &infoCount, &infos, 0) == 0 else { continue }
            var info: [String: String] = [:]
            for i in 0..<Int(infoCount) {
                guard let entry = infos?[i], let name = entry.name, let value = entry.value else { continue }
                info[String(cString: name)] = String(cString: value)
            }
            kinds.append(CPUKind(efficiency: Int(efficiency), pus: Int(hwloc_bitmap_weight(cpuset)), info: info))
        }
        return kinds
    }

    /// The object tree as lstopo shows it: memory children (NUMA nodes, memory-side caches)
    /// first, then the CPU-side children. I/O objects are left out (GPUs are listed apart).
    func node(_ object: hwloc_obj_t) -> TopologyNode {
        var children: [TopologyNode] = []
        var memoryChild = object.pointee.memory_first_child
        while let child = memoryChild {
            children.append(node(child))
            memoryChild = child.pointee.next_sibling
        }
        for index in 0..<Int(object.pointee.arity) {
            if let child = object.pointee.children[index] { children.append(node(child)) }
        }
        return TopologyNode(
            type: Self.typeName(object),
            osIndex: hasOSIndex(object) ? Int(object.pointee.os_index) : nil,
            detail: detail(object),
            children: children
        )
    }

    private func hasOSIndex(_ object: hwloc_obj_t) -> Bool {
        let type = object.pointee.type
        let unknown = object.pointee.os_index == UInt32.max // HWLOC_UNKNOWN_INDEX
        return !unknown && (type == HWLOC_OBJ_PU || type == HWLOC_OBJ_CORE || type == HWLOC_OBJ_PACKAGE
            || type == HWLOC_OBJ_NUMANODE || type == HWLOC_OBJ_DIE)
    }

    private func detail(_ object: hwloc_obj_t) -> String? {
        let type = object.pointee.type
        if hwloc_obj_type_is_cache(type) != 0 || type == HWLOC_OBJ_MEMCACHE {
            guard let size = object.pointee.attr?.pointee.cache.size, size > 0 else { return nil }
            return ByteCount.format(size)
        }
        if type == HWLOC_OBJ_NUMANODE {
            guard let memory = object.pointee.attr?.pointee.numanode.local_memory, memory > 0 else { return nil }
            return ByteCount.formatMemory(memory)
        }
        if type == HWLOC_OBJ_MACHINE, object.pointee.total_memory > 0 {
            return "\(ByteCount.formatMemory(object.pointee.total_memory)) total"
        }
        return nil
    }
}

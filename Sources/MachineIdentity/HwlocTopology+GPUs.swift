import CHwloc
import Foundation

extension HwlocTopology {
    /// PCI display and 3D controllers (PCI class 0x03xx), with what hwloc's GPU backends say of
    /// them where an osdev is attached (CUDA, NVML and OpenCL osdevs exist in XML exports; Debian's
    /// hwloc has no such plugins, so on a live machine NVML fills these in instead).
    public func pciGPUs() -> [GPUInfo] {
        var gpus: [GPUInfo] = []
        var previous: hwloc_obj_t?
        while let device = hwloc_get_next_pcidev(handle, previous) {
            previous = device
            guard let pci = device.pointee.attr?.pointee.pcidev, pci.class_id >> 8 == 0x03 else { continue }
            var gpu = GPUInfo(
                vendor: Self.info(device, "PCIVendor"),
                vendorID: Int(pci.vendor_id),
                deviceID: Int(pci.device_id),
                pciClass: Int(pci.class_id),
                pciBusID: String(format: "%04x:%02x:%02x.%x", pci.domain, pci.bus, pci.dev, pci.func),
                name: Self.info(device, "PCIDevice")
            )
            enrich(&gpu, fromOSDevicesOf: device)
            gpu.placement = placement(of: device, linkGBps: Double(pci.linkspeed))
            gpus.append(gpu)
        }
        return gpus
    }

    private func enrich(_ gpu: inout GPUInfo, fromOSDevicesOf device: hwloc_obj_t) {
        var child = device.pointee.io_first_child
        while let osdev = child {
            child = osdev.pointee.next_sibling
            guard osdev.pointee.type == HWLOC_OBJ_OS_DEVICE else { continue }
            if let backend = Self.info(osdev, "Backend") ?? osdev.pointee.subtype.map({ String(cString: $0) }),
               !gpu.computeBackends.contains(backend),
               osdev.pointee.attr?.pointee.osdev.type == HWLOC_OBJ_OSDEV_COPROC || backend == "NVML" {
                gpu.computeBackends.append(backend)
            }
            if let model = Self.info(osdev, "GPUModel") { gpu.name = model }
            if let vendor = Self.info(osdev, "GPUVendor") { gpu.vendor = vendor }
            // hwloc's CUDA backend reports global memory in KiB.
            if let kib = Self.info(osdev, "CUDAGlobalMemorySize").flatMap(UInt64.init) { gpu.memoryBytes = kib * 1024 }
            if let sms = Self.info(osdev, "CUDAMultiProcessors").flatMap(Int.init) { gpu.multiprocessors = sms }
            if let capability = Self.info(osdev, "CUDAComputeCapability") { gpu.computeCapability = capability }
            if let uuid = Self.info(osdev, "NVIDIAUUID") { gpu.uuid = uuid }
        }
    }

    /// The PCIe link, the NUMA nodes and packages whose CPUs are the device's locality (its
    /// nearest non-I/O ancestor), and NVLink bandwidth where an export recorded it.
    private func placement(of device: hwloc_obj_t, linkGBps: Double) -> GPUPlacement {
        var numaNodes: [Int] = []
        var packages: [Int] = []
        if let ancestor = hwloc_get_non_io_ancestor_obj(handle, device), let locality = ancestor.pointee.cpuset {
            for node in objects(ofType: HWLOC_OBJ_NUMANODE) where hwloc_bitmap_intersects(node.pointee.cpuset, locality) != 0 {
                numaNodes.append(Int(node.pointee.os_index))
            }
            for package in objects(ofType: HWLOC_OBJ_PACKAGE) where hwloc_bitmap_intersects(package.pointee.cpuset, locality) != 0 {
                packages.append(Int(package.pointee.os_index))
            }
        }
        return GPUPlacement(pciLinkGBps: linkGBps > 0 ? linkGBps : nil, numaNodes: numaNodes.sorted(),
                            packages: packages.sorted(), nvlinkGBps: nvlinkBandwidth(of: device))
    }

    /// The sum of the device's row in hwloc's "NVLinkBandwidth" matrix (MB/s, between the GPUs'
    /// NVML osdevs and the packages), without its own diagonal, in GB/s.
    private func nvlinkBandwidth(of device: hwloc_obj_t) -> Double? {
        var osdevs: [hwloc_obj_t] = []
        var child = device.pointee.io_first_child
        while let osdev = child {
            osdevs.append(osdev)
            child = osdev.pointee.next_sibling
        }
        guard !osdevs.isEmpty else { return nil }
        var count: UInt32 = 1
        var matrix: UnsafeMutablePointer<hwloc_distances_s>?
        guard hwloc_distances_get_by_name(handle, "NVLinkBandwidth", &count, &matrix, 0) == 0, count > 0, let distances = matrix else {
            return nil
        }
        defer { hwloc_distances_release(handle, distances) }
        let size = Int(distances.pointee.nbobjs)
        for row in 0..<size where osdevs.contains(where: { $0 == distances.pointee.objs[row] }) {
            var total: UInt64 = 0
            for column in 0..<size where column != row { total += distances.pointee.values[row * size + column] }
            return total > 0 ? Double(total) / 1000 : nil
        }
        return nil
    }
}

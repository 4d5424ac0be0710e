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
        }
    }
}

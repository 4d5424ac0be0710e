import CUDALibraries
import MachineIdentity

extension GPUInfo {
    /// A GPU the CUDA driver sees but hwloc did not (no PCI access in a container): the driver's
    /// fields alone.
    init(cuda device: CUDADeviceProperties) {
        self.init(vendor: "NVIDIA Corporation", vendorID: 0x10de, deviceID: 0, pciClass: 0x0302,
                  pciBusID: device.pciBusID, name: device.name)
    }

    /// Fills in what the CUDA driver reports for the device at the same PCI address.
    mutating func enrich(from device: CUDADeviceProperties) {
        name = device.name
        uuid = device.uuid
        memoryBytes = device.memoryBytes
        computeCapability = device.computeCapability
        multiprocessors = device.multiprocessors
        cuda = device.details
        if !computeBackends.contains("CUDA") { computeBackends.append("CUDA") }
    }
}

extension HardwareProbe {
    /// Why the CUDA driver gave no devices here ("libcuda.so.1 not found …", "cuInit failed …"),
    /// nil when it did.
    public static func cudaUnavailableReason() -> String? {
        do {
            let devices = try CUDADriver.shared().devices()
            return devices.isEmpty ? "the CUDA driver sees no device" : nil
        } catch {
            return "\(error)"
        }
    }

    /// Adds the CUDA driver's view of each device (matched by PCI address) to the GPUs hwloc
    /// found; devices hwloc missed are appended. A GPU in MIG mode (`migBuses`, from NVML) shows
    /// CUDA one device per MIG instance, all at the GPU's address: the first instance enriches
    /// hwloc's entry, each further one is a copy of it (the same PCI link and neighbours) with
    /// its own SMs, memory and UUID, written "MIG-…" as `nvidia-smi -L` writes it (the driver's
    /// `cuDeviceGetUuid_v2` gives the instance's UUID bytes; their text form is ours).
    static func addCUDADevices(_ devices: [CUDADeviceProperties], to gpus: inout [GPUInfo], migBuses: Set<String>) {
        let found = gpus
        var enriched = Set<String>()
        for var device in devices {
            if migBuses.contains(device.pciBusID), device.uuid.hasPrefix("GPU-") {
                device.uuid = "MIG-" + device.uuid.dropFirst(4)
            }
            if let index = gpus.firstIndex(where: { $0.pciBusID == device.pciBusID }), !enriched.contains(device.pciBusID) {
                gpus[index].enrich(from: device)
            } else {
                var gpu = found.first { $0.pciBusID == device.pciBusID } ?? GPUInfo(cuda: device)
                gpu.enrich(from: device)
                gpus.append(gpu)
            }
            enriched.insert(device.pciBusID)
        }
    }
}

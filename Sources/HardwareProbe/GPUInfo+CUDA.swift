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
    /// found; devices hwloc missed are appended. Without a driver the list is unchanged.
    static func addCUDADevices(to gpus: inout [GPUInfo]) {
        guard let driver = try? CUDADriver.shared(), let devices = try? driver.devices() else { return }
        for device in devices {
            if let index = gpus.firstIndex(where: { $0.pciBusID == device.pciBusID }) {
                gpus[index].enrich(from: device)
            } else {
                var gpu = GPUInfo(cuda: device)
                gpu.enrich(from: device)
                gpus.append(gpu)
            }
        }
    }
}

import CNVML
import Foundation

/// NVIDIA's management library, opened with dlopen when `libnvidia-ml.so.1` exists and never
/// linked, so tunebench builds and runs on machines without an NVIDIA driver.
final class NVMLLibrary {
    struct Device: Equatable {
        var pciBusID: String
        var name: String?
        var memoryBytes: UInt64?
        var computeCapability: String?
        var multiprocessors: Int?
        /// Whether the GPU runs in MIG mode (nil: the driver does not say, or the GPU has none).
        var migEnabled: Bool?
    }

    let handle: UnsafeMutableRawPointer

    /// Nil when the library is absent or `nvmlInit_v2` fails (driver not loaded, no device).
    init?(path: String = "libnvidia-ml.so.1") {
        guard let handle = LibraryMapping.serialized({ dlopen(path, RTLD_NOW | RTLD_LOCAL) }) else { return nil }
        self.handle = handle
        guard let initialize: cnvml_init_fn = symbol("nvmlInit_v2"), initialize() == 0 else {
            LibraryMapping.serialized { _ = dlclose(handle) }
            return nil
        }
    }

    deinit {
        if let shutdown: cnvml_shutdown_fn = symbol("nvmlShutdown") { _ = shutdown() }
        LibraryMapping.serialized { _ = dlclose(handle) }
    }

    func symbol<T>(_ name: String) -> T? {
        guard let pointer = dlsym(handle, name) else { return nil }
        return unsafeBitCast(pointer, to: T.self)
    }

    var driverVersion: String? {
        guard let get: cnvml_driver_version_fn = symbol("nvmlSystemGetDriverVersion") else { return nil }
        var buffer = [CChar](repeating: 0, count: 96)
        return get(&buffer, UInt32(buffer.count)) == 0 ? String(nulTerminated: buffer) : nil
    }

    func devices() -> [Device] {
        guard let count: cnvml_get_count_fn = symbol("nvmlDeviceGetCount_v2"),
              let byIndex: cnvml_get_handle_fn = symbol("nvmlDeviceGetHandleByIndex_v2") else { return [] }
        var total: UInt32 = 0
        guard count(&total) == 0 else { return [] }
        return (0..<total).compactMap { index in
            var device: cnvml_device?
            guard byIndex(index, &device) == 0, let device else { return nil }
            return describe(device)
        }
    }

    private func describe(_ device: cnvml_device) -> Device? {
        guard let pciInfo: cnvml_get_pci_fn = symbol("nvmlDeviceGetPciInfo_v3") else { return nil }
        var pci = cnvml_pci_info()
        guard pciInfo(device, &pci) == 0 else { return nil }
        var result = Device(pciBusID: String(format: "%04x:%02x:%02x.0", pci.domain, pci.bus, pci.device))
        if let getName: cnvml_get_name_fn = symbol("nvmlDeviceGetName") {
            var buffer = [CChar](repeating: 0, count: 96)
            if getName(device, &buffer, UInt32(buffer.count)) == 0 { result.name = String(nulTerminated: buffer) }
        }
        if let getMemory: cnvml_get_memory_fn = symbol("nvmlDeviceGetMemoryInfo") {
            var memory = cnvml_memory()
            if getMemory(device, &memory) == 0 { result.memoryBytes = memory.total }
        }
        if let getCapability: cnvml_get_capability_fn = symbol("nvmlDeviceGetCudaComputeCapability") {
            var major: Int32 = 0, minor: Int32 = 0
            if getCapability(device, &major, &minor) == 0 { result.computeCapability = "\(major).\(minor)" }
        }
        // NVML reports the SM count through the device attributes (all recent drivers).
        if let getAttributes: cnvml_get_attributes_fn = symbol("nvmlDeviceGetAttributes_v2") {
            var attributes = cnvml_device_attributes()
            if getAttributes(device, &attributes) == 0, attributes.multiprocessorCount > 0 {
                result.multiprocessors = Int(attributes.multiprocessorCount)
            }
        }
        if let getMigMode: cnvml_get_mig_mode_fn = symbol("nvmlDeviceGetMigMode") {
            var current: UInt32 = 0, pending: UInt32 = 0
            if getMigMode(device, &current, &pending) == 0 { result.migEnabled = current == 1 }
        }
        return result
    }
}

extension GPUInfo {
    /// Fills in what NVML knows about the device at the same PCI address.
    mutating func enrich(from device: NVMLLibrary.Device, driverVersion: String?) {
        // The CUDA driver's figures, where it answered, come first.
        name = cuda == nil ? device.name ?? name : name
        memoryBytes = memoryBytes ?? device.memoryBytes
        computeCapability = computeCapability ?? device.computeCapability
        multiprocessors = multiprocessors ?? device.multiprocessors
        self.driverVersion = driverVersion ?? self.driverVersion
        if !computeBackends.contains("NVML") { computeBackends.append("NVML") }
    }
}

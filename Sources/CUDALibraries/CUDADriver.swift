import CCUDA
import Foundation
import MachineIdentity

/// The CUDA driver API (`libcuda.so.1`, installed with the NVIDIA driver), opened with dlopen and
/// never linked: tunebench builds and runs where there is no driver, and says so when asked for
/// a GPU. `TUNEBENCH_LIBCUDA` names another file (or folder) to open.
public final class CUDADriver: @unchecked Sendable {
    public let library: SharedLibrary
    /// e.g. 12040 for CUDA 12.4, what `nvidia-smi` calls "CUDA Version".
    public let version: Int

    let deviceCount: ccuda_device_count_fn
    let deviceGet: ccuda_device_get_fn
    let deviceName: ccuda_device_name_fn
    let deviceUUID: ccuda_device_uuid_fn
    let deviceTotalMemory: ccuda_device_total_mem_fn
    let deviceAttribute: ccuda_device_attribute_fn
    let devicePCIBusID: ccuda_device_pci_bus_id_fn
    let errorName: ccuda_error_string_fn?
    let errorString: ccuda_error_string_fn?
    let primaryContextRetain: ccuda_primary_ctx_retain_fn
    let primaryContextRelease: ccuda_primary_ctx_release_fn
    let contextSetCurrent: ccuda_ctx_set_current_fn
    let contextSynchronize: ccuda_ctx_synchronize_fn
    let memoryAllocate: ccuda_mem_alloc_fn
    let memoryFree: ccuda_mem_free_fn
    let copyToDevice: ccuda_memcpy_htod_fn
    let copyToHost: ccuda_memcpy_dtoh_fn
    let memset: ccuda_memset_d8_fn
    let moduleLoad: ccuda_module_load_data_ex_fn
    let moduleUnload: ccuda_module_unload_fn
    let moduleFunction: ccuda_module_get_function_fn
    let functionAttribute: ccuda_func_get_attribute_fn
    let functionSetAttribute: ccuda_func_set_attribute_fn
    let launchKernel: ccuda_launch_kernel_fn
    /// CUDA 12.4 on: lets a launch check its arguments against the kernel's parameters.
    let functionParameterInfo: ccuda_func_get_param_info_fn?
    /// CUDA 12.0 on: tensor maps for the tensor memory accelerator (Hopper's TMA).
    let tensorMapEncodeTiled: ccuda_tensor_map_encode_tiled_fn?
    let eventCreate: ccuda_event_create_fn
    let eventRecord: ccuda_event_record_fn
    let eventSynchronize: ccuda_event_synchronize_fn
    let eventElapsed: ccuda_event_elapsed_fn
    let eventDestroy: ccuda_event_destroy_fn

    /// The driver of this process, opened and initialized once (the error, too, is kept: a
    /// machine without a driver does not look again on every call).
    public static func shared() throws -> CUDADriver { try loaded.get() }

    private static let loaded: Result<CUDADriver, any Error> = Result { try CUDADriver() }

    private init() throws {
        library = try SharedLibrary(
            candidates: SharedLibrary.candidates(environment: "TUNEBENCH_LIBCUDA", names: ["libcuda.so.1", "libcuda.so"]),
            describing: "the CUDA driver library (libcuda.so.1, part of the NVIDIA driver)"
        )
        let initialize: ccuda_init_fn = try library.function("cuInit")
        errorName = library.optionalFunction("cuGetErrorName")
        errorString = library.optionalFunction("cuGetErrorString")
        deviceCount = try library.function("cuDeviceGetCount")
        deviceGet = try library.function("cuDeviceGet")
        deviceName = try library.function("cuDeviceGetName")
        deviceUUID = try library.optionalFunction("cuDeviceGetUuid_v2") ?? library.function("cuDeviceGetUuid")
        deviceTotalMemory = try library.function("cuDeviceTotalMem_v2")
        deviceAttribute = try library.function("cuDeviceGetAttribute")
        devicePCIBusID = try library.function("cuDeviceGetPCIBusId")
        primaryContextRetain = try library.function("cuDevicePrimaryCtxRetain")
        primaryContextRelease = try library.function("cuDevicePrimaryCtxRelease_v2")
        contextSetCurrent = try library.function("cuCtxSetCurrent")
        contextSynchronize = try library.function("cuCtxSynchronize")
        memoryAllocate = try library.function("cuMemAlloc_v2")
        memoryFree = try library.function("cuMemFree_v2")
        copyToDevice = try library.function("cuMemcpyHtoD_v2")
        copyToHost = try library.function("cuMemcpyDtoH_v2")
        memset = try library.function("cuMemsetD8_v2")
        moduleLoad = try library.function("cuModuleLoadDataEx")
        moduleUnload = try library.function("cuModuleUnload")
        moduleFunction = try library.function("cuModuleGetFunction")
        functionAttribute = try library.function("cuFuncGetAttribute")
        functionSetAttribute = try library.function("cuFuncSetAttribute")
        launchKernel = try library.function("cuLaunchKernel")
        functionParameterInfo = library.optionalFunction("cuFuncGetParamInfo")
        tensorMapEncodeTiled = library.optionalFunction("cuTensorMapEncodeTiled")
        eventCreate = try library.function("cuEventCreate")
        eventRecord = try library.function("cuEventRecord")
        eventSynchronize = try library.function("cuEventSynchronize")
        eventElapsed = try library.function("cuEventElapsedTime")
        eventDestroy = try library.function("cuEventDestroy_v2")
        let getVersion: ccuda_driver_version_fn = try library.function("cuDriverGetVersion")

        // A stub libcuda (the toolkit's, for linking) or a machine whose driver has no device
        // answers cuInit with an error: no device, said in the driver's words.
        let status = initialize(0)
        if status != 0 {
            throw GPUError(.noDevice, "cuInit failed in \(library.path): \(Self.describe(status, name: errorName, string: errorString))")
        }
        var version: Int32 = 0
        _ = getVersion(&version)
        self.version = Int(version)
    }

    /// "CUDA_ERROR_OUT_OF_MEMORY (2): out of memory".
    static func describe(_ status: ccuda_result, name: ccuda_error_string_fn?, string: ccuda_error_string_fn?) -> String {
        var namePointer: UnsafePointer<CChar>?
        var textPointer: UnsafePointer<CChar>?
        _ = name?(status, &namePointer)
        _ = string?(status, &textPointer)
        let label = namePointer.map { String(cString: $0) } ?? "CUresult"
        return "\(label) (\(status))" + (textPointer.map { ": " + String(cString: $0) } ?? "")
    }

    /// Throws the driver's words for a failed `call`.
    func check(_ status: ccuda_result, _ call: @autoclosure () -> String) throws {
        guard status != 0 else { return }
        // 701 CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: this configuration only. 700 (illegal address),
        // 702 (timeout) and 710-719 (assert, illegal instruction, misaligned address, launch
        // failed …) are sticky: the context is lost for the rest of the process.
        let code: GPUError.Code = status == 701 ? .launchResources : (status == 700 || status == 702 || (710...719).contains(status)) ? .contextLost : .driverCall
        throw GPUError(code, "\(call()) failed: \(Self.describe(status, name: errorName, string: errorString))")
    }

    /// "12.4" for 12040.
    public var versionText: String { "\(version / 1000).\(version % 1000 / 10)" }

    /// How many devices the driver sees (CUDA_VISIBLE_DEVICES applies).
    public func devices() throws -> [CUDADeviceProperties] {
        var count: Int32 = 0
        try check(deviceCount(&count), "cuDeviceGetCount")
        return try (0..<Int(count)).map { try properties(ordinal: $0) }
    }

    /// What the driver reports of device `ordinal`.
    public func properties(ordinal: Int) throws -> CUDADeviceProperties {
        var device: ccuda_device = 0
        try check(deviceGet(&device, Int32(ordinal)), "cuDeviceGet(\(ordinal))")
        var name = [CChar](repeating: 0, count: 256)
        try check(deviceName(&name, Int32(name.count), device), "cuDeviceGetName")
        var uuid = ccuda_uuid()
        try check(deviceUUID(&uuid, device), "cuDeviceGetUuid")
        var memory = 0
        try check(deviceTotalMemory(&memory, device), "cuDeviceTotalMem")
        var busID = [CChar](repeating: 0, count: 32)
        try check(devicePCIBusID(&busID, Int32(busID.count), device), "cuDeviceGetPCIBusId")
        func attribute(_ id: Int32) throws -> Int {
            var value: Int32 = 0
            try check(deviceAttribute(&value, id, device), "cuDeviceGetAttribute(\(id))")
            return Int(value)
        }
        let uuidBytes = withUnsafeBytes(of: uuid.bytes) { Array($0) }
        return CUDADeviceProperties(
            ordinal: ordinal,
            name: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            uuid: CUDADeviceProperties.formatUUID(uuidBytes),
            pciBusID: CUDADeviceProperties.normalizeBusID(String(decoding: busID.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)),
            computeCapabilityMajor: try attribute(Int32(CCUDA_ATTR_COMPUTE_CAPABILITY_MAJOR)),
            computeCapabilityMinor: try attribute(Int32(CCUDA_ATTR_COMPUTE_CAPABILITY_MINOR)),
            multiprocessors: try attribute(Int32(CCUDA_ATTR_MULTIPROCESSOR_COUNT)),
            memoryBytes: UInt64(memory),
            details: CUDADetails(
                cudaVersion: versionText,
                clockMHz: try attribute(Int32(CCUDA_ATTR_CLOCK_RATE)) / 1000,
                memoryClockMHz: try attribute(Int32(CCUDA_ATTR_MEMORY_CLOCK_RATE)) / 1000,
                memoryBusWidthBits: try attribute(Int32(CCUDA_ATTR_GLOBAL_MEMORY_BUS_WIDTH)),
                l2CacheBytes: try attribute(Int32(CCUDA_ATTR_L2_CACHE_SIZE)),
                sharedMemoryPerBlockBytes: try attribute(Int32(CCUDA_ATTR_MAX_SHARED_MEMORY_PER_BLOCK)),
                sharedMemoryPerBlockOptInBytes: try attribute(Int32(CCUDA_ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN)),
                sharedMemoryPerSMBytes: try attribute(Int32(CCUDA_ATTR_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR)),
                registersPerBlock: try attribute(Int32(CCUDA_ATTR_MAX_REGISTERS_PER_BLOCK)),
                registersPerSM: try attribute(Int32(CCUDA_ATTR_MAX_REGISTERS_PER_MULTIPROCESSOR)),
                maxThreadsPerBlock: try attribute(Int32(CCUDA_ATTR_MAX_THREADS_PER_BLOCK)),
                maxThreadsPerSM: try attribute(Int32(CCUDA_ATTR_MAX_THREADS_PER_MULTIPROCESSOR)),
                warpSize: try attribute(Int32(CCUDA_ATTR_WARP_SIZE))
            )
        )
    }
}

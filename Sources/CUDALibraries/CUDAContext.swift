import CCUDA
import Foundation

/// One device's primary context (the one the CUDA runtime would share) and what runs in it:
/// device memory, modules, launches and event timing. Every call makes the context current on
/// the calling thread first, so a context may be used from any one thread at a time.
public final class CUDAContext: @unchecked Sendable {
    public let driver: CUDADriver
    public let device: CUDADeviceProperties
    let handle: ccuda_context
    private let deviceHandle: ccuda_device

    public init(driver: CUDADriver, ordinal: Int = 0) throws {
        self.driver = driver
        var count: Int32 = 0
        try driver.check(driver.deviceCount(&count), "cuDeviceGetCount")
        guard ordinal >= 0, ordinal < Int(count) else {
            throw GPUError(.noDevice, "no CUDA device \(ordinal): the driver sees \(count)")
        }
        device = try driver.properties(ordinal: ordinal)
        var deviceHandle: ccuda_device = 0
        try driver.check(driver.deviceGet(&deviceHandle, Int32(ordinal)), "cuDeviceGet")
        self.deviceHandle = deviceHandle
        var context: ccuda_context?
        try driver.check(driver.primaryContextRetain(&context, deviceHandle), "cuDevicePrimaryCtxRetain")
        guard let context else { throw GPUError(.driverCall, "cuDevicePrimaryCtxRetain returned no context") }
        handle = context
    }

    deinit { _ = driver.primaryContextRelease(deviceHandle) }

    func makeCurrent() throws {
        try driver.check(driver.contextSetCurrent(handle), "cuCtxSetCurrent")
    }

    /// Waits for all work; a kernel's asynchronous fault (an illegal address) surfaces here.
    public func synchronize() throws {
        try makeCurrent()
        try driver.check(driver.contextSynchronize(), "cuCtxSynchronize")
    }

    // MARK: memory

    public func allocate(bytes: Int) throws -> DeviceBuffer {
        try makeCurrent()
        var pointer: ccuda_deviceptr = 0
        try driver.check(driver.memoryAllocate(&pointer, max(bytes, 1)), "cuMemAlloc(\(bytes) bytes)")
        return DeviceBuffer(context: self, address: pointer, bytes: bytes)
    }

    /// A tensor map (`CUtensorMap`, 128 bytes) for the tensor memory accelerator: `buffer` as a
    /// row-major [rows, columns] matrix of 16-bit elements, read in boxes of boxRows x
    /// boxColumns with the 128-byte swizzle wgmma reads; boxes past the edges are zero-filled.
    public func tensorMap16Bit(_ buffer: DeviceBuffer, bfloat16: Bool, rows: Int, columns: Int,
                               boxRows: Int, boxColumns: Int) throws -> [UInt8] {
        guard let encode = driver.tensorMapEncodeTiled else {
            throw GPUError(.unsupported, "cuTensorMapEncodeTiled is missing from \(driver.library.path) (CUDA \(driver.versionText)): TMA needs a CUDA 12 driver")
        }
        try makeCurrent()
        var map = [UInt8](repeating: 0, count: 128)
        let dimensions: [UInt64] = [UInt64(columns), UInt64(rows)]
        let strides: [UInt64] = [UInt64(columns * 2)]
        let box: [UInt32] = [UInt32(boxColumns), UInt32(boxRows)]
        let elementStrides: [UInt32] = [1, 1]
        let status = map.withUnsafeMutableBytes { raw in
            encode(raw.baseAddress, bfloat16 ? 9 : 6, 2, UnsafeMutableRawPointer(bitPattern: UInt(buffer.address)),
                   dimensions, strides, box, elementStrides, 0, 3, 3, 0)
        }
        try driver.check(status, "cuTensorMapEncodeTiled(\(rows)x\(columns), box \(boxRows)x\(boxColumns))")
        return map
    }

    /// A device copy of `values`.
    public func upload<T>(_ values: [T]) throws -> DeviceBuffer {
        let buffer = try allocate(bytes: values.count * MemoryLayout<T>.stride)
        try buffer.copy(from: values)
        return buffer
    }

    // MARK: modules

    /// Loads a CUBIN or PTX image (PTX is compiled by the driver); the driver's error log goes
    /// into the error.
    public func loadModule(image: [UInt8]) throws -> CUDAModule {
        try makeCurrent()
        var module: ccuda_module?
        var log = [CChar](repeating: 0, count: 8192)
        let status: ccuda_result = log.withUnsafeMutableBufferPointer { logBuffer in
            image.withUnsafeBytes { bytes in
                var options: [Int32] = [Int32(CCUDA_JIT_ERROR_LOG_BUFFER), Int32(CCUDA_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)]
                var values: [UnsafeMutableRawPointer?] = [
                    UnsafeMutableRawPointer(logBuffer.baseAddress), UnsafeMutableRawPointer(bitPattern: logBuffer.count),
                ]
                return driver.moduleLoad(&module, bytes.baseAddress, 2, &options, &values)
            }
        }
        if status != 0 {
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            try driver.check(status, "cuModuleLoadDataEx" + (text.isEmpty ? "" : " (\(text.trimmingCharacters(in: .whitespacesAndNewlines)))"))
        }
        guard let module else { throw GPUError(.driverCall, "cuModuleLoadDataEx returned no module") }
        return CUDAModule(context: self, handle: module)
    }

    // MARK: timing

    /// Milliseconds each of `repetitions` back-to-back runs of `body` took on the device,
    /// measured between two CUDA events (launch overhead between kernels included, host clock
    /// excluded), after `synchronize()` so a fault is reported rather than timed.
    public func time(repetitions: Int, _ body: () throws -> Void) throws -> Double {
        try makeCurrent()
        var start: ccuda_event?, end: ccuda_event?
        try driver.check(driver.eventCreate(&start, 0), "cuEventCreate")
        defer { if let start { _ = driver.eventDestroy(start) } }
        try driver.check(driver.eventCreate(&end, 0), "cuEventCreate")
        defer { if let end { _ = driver.eventDestroy(end) } }
        try driver.check(driver.eventRecord(start, nil), "cuEventRecord")
        for _ in 0..<max(1, repetitions) { try body() }
        try driver.check(driver.eventRecord(end, nil), "cuEventRecord")
        try driver.check(driver.eventSynchronize(end), "cuEventSynchronize")
        var milliseconds: Float = 0
        try driver.check(driver.eventElapsed(&milliseconds, start, end), "cuEventElapsedTime")
        try synchronize()
        return Double(milliseconds) / Double(max(1, repetitions))
    }
}

/// Device memory, freed when released.
public final class DeviceBuffer: @unchecked Sendable {
    public let context: CUDAContext
    public let address: UInt64
    public let bytes: Int

    init(context: CUDAContext, address: UInt64, bytes: Int) {
        self.context = context
        self.address = address
        self.bytes = bytes
    }

    deinit {
        try? context.makeCurrent()
        _ = context.driver.memoryFree(address)
    }

    public func copy<T>(from values: [T]) throws {
        let count = values.count * MemoryLayout<T>.stride
        precondition(count <= bytes, "copy of \(count) bytes into a buffer of \(bytes)")
        try context.makeCurrent()
        try values.withUnsafeBytes { raw in
            try context.driver.check(context.driver.copyToDevice(address, raw.baseAddress, count), "cuMemcpyHtoD(\(count) bytes)")
        }
    }

    public func read<T>(as type: T.Type, count: Int) throws -> [T] {
        precondition(count * MemoryLayout<T>.stride <= bytes)
        try context.makeCurrent()
        return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try context.driver.check(
                context.driver.copyToHost(UnsafeMutableRawPointer(buffer.baseAddress!), address, count * MemoryLayout<T>.stride),
                "cuMemcpyDtoH(\(count * MemoryLayout<T>.stride) bytes)"
            )
            initialized = count
        }
    }

    /// Sets every byte (poisons an output before a validation run).
    public func fill(byte: UInt8) throws {
        try context.makeCurrent()
        try context.driver.check(context.driver.memset(address, byte, bytes), "cuMemsetD8")
    }
}

/// A loaded module; unloaded when released.
public final class CUDAModule: @unchecked Sendable {
    public let context: CUDAContext
    let handle: ccuda_module

    init(context: CUDAContext, handle: ccuda_module) {
        self.context = context
        self.handle = handle
    }

    deinit {
        try? context.makeCurrent()
        _ = context.driver.moduleUnload(handle)
    }

    public func function(_ name: String) throws -> CUDAFunction {
        try context.makeCurrent()
        var function: ccuda_function?
        try context.driver.check(context.driver.moduleFunction(&function, handle, name), "cuModuleGetFunction(\(name))")
        guard let function else { throw GPUError(.driverCall, "cuModuleGetFunction(\(name)) returned nothing") }
        return CUDAFunction(module: self, name: name, handle: function)
    }
}

/// One argument of a launch, passed by value as the kernel's C signature expects.
public enum KernelArgument: Sendable {
    case pointer(DeviceBuffer)
    case int32(Int32)
    case float(Float)
    case int64(Int64)
    /// A parameter passed by value as opaque bytes, e.g. a 128-byte tensor map.
    case bytes([UInt8])

    /// Bytes the kernel's parameter takes.
    var byteSize: Int {
        switch self {
        case .pointer, .int64: 8
        case .int32, .float: 4
        case .bytes(let bytes): bytes.count
        }
    }
}

/// A kernel of a loaded module.
public final class CUDAFunction: @unchecked Sendable {
    public let module: CUDAModule
    public let name: String
    let handle: ccuda_function

    init(module: CUDAModule, name: String, handle: ccuda_function) {
        self.module = module
        self.name = name
        self.handle = handle
    }

    /// Registers, static shared memory and local (spilled) bytes, as compiled.
    public func resources() throws -> (registers: Int, sharedBytes: Int, localBytes: Int, maxThreadsPerBlock: Int) {
        try module.context.makeCurrent()
        let driver = module.context.driver
        func attribute(_ id: Int32) throws -> Int {
            var value: Int32 = 0
            try driver.check(driver.functionAttribute(&value, id, handle), "cuFuncGetAttribute(\(name), \(id))")
            return Int(value)
        }
        return (
            try attribute(Int32(CCUDA_FUNC_NUM_REGS)), try attribute(Int32(CCUDA_FUNC_SHARED_SIZE_BYTES)),
            try attribute(Int32(CCUDA_FUNC_LOCAL_SIZE_BYTES)), try attribute(Int32(CCUDA_FUNC_MAX_THREADS_PER_BLOCK))
        )
    }

    /// Allows `bytes` of dynamic shared memory (above 48 KiB needs asking).
    public func allowDynamicSharedMemory(bytes: Int) throws {
        try module.context.makeCurrent()
        let driver = module.context.driver
        try driver.check(
            driver.functionSetAttribute(handle, Int32(CCUDA_FUNC_MAX_DYNAMIC_SHARED_SIZE_BYTES), Int32(bytes)),
            "cuFuncSetAttribute(\(name), max dynamic shared memory \(bytes) bytes)"
        )
    }

    /// The byte size of each parameter of the kernel, where the driver says (CUDA 12.4 on).
    public func parameterSizes() -> [Int]? {
        guard let info = module.context.driver.functionParameterInfo else { return nil }
        var sizes: [Int] = []
        while sizes.count < 4096 {
            var offset = 0, size = 0
            guard info(handle, sizes.count, &offset, &size) == 0 else { break }
            sizes.append(size)
        }
        return sizes
    }

    /// Launches once on the default stream (asynchronous: errors of the run itself surface at
    /// the next synchronization).
    public func launch(grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0, arguments: [KernelArgument]) throws {
        try launcher(grid: grid, block: block, sharedBytes: sharedBytes, arguments: arguments).launch()
    }

    /// A launch prepared once and repeated: the argument array is built and checked against the
    /// kernel's parameters here, so a timed loop only calls cuLaunchKernel.
    public func launcher(grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int = 0, arguments: [KernelArgument]) throws -> Launcher {
        try module.context.makeCurrent()
        if let sizes = parameterSizes() {
            let given = arguments.map(\.byteSize)
            guard sizes == given else {
                throw GPUError(.launchResources, "\(name) takes \(sizes.count) parameters of \(sizes.map(String.init).joined(separator: ", ")) bytes; the launch gives \(given.count) of \(given.map(String.init).joined(separator: ", "))")
            }
        }
        return Launcher(function: self, grid: grid, block: block, sharedBytes: sharedBytes, arguments: arguments)
    }

    public final class Launcher: @unchecked Sendable {
        let function: CUDAFunction
        let grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int
        /// Keeps the buffers alive while launches may read them.
        let arguments: [KernelArgument]
        private let storage: [UnsafeMutableRawPointer]
        private var parameters: [UnsafeMutableRawPointer?]

        init(function: CUDAFunction, grid: (Int, Int, Int), block: (Int, Int, Int), sharedBytes: Int, arguments: [KernelArgument]) {
            (self.function, self.grid, self.block, self.sharedBytes, self.arguments) = (function, grid, block, sharedBytes, arguments)
            storage = arguments.map { argument in
                // 64-byte alignment: what a by-value tensor map asks of its copy.
                let slot = UnsafeMutableRawPointer.allocate(byteCount: max(8, argument.byteSize), alignment: 64)
                switch argument {
                case .pointer(let buffer): slot.storeBytes(of: buffer.address, as: UInt64.self)
                case .int32(let value): slot.storeBytes(of: value, as: Int32.self)
                case .float(let value): slot.storeBytes(of: value, as: Float.self)
                case .int64(let value): slot.storeBytes(of: value, as: Int64.self)
                case .bytes(let bytes): bytes.withUnsafeBytes { slot.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                }
                return slot
            }
            parameters = storage
        }

        deinit { storage.forEach { $0.deallocate() } }

        /// Enqueues one run; the context must be current on this thread (it is after
        /// `launcher(…)` and inside `CUDAContext.time`).
        public func launch() throws {
            let driver = function.module.context.driver
            let status = driver.launchKernel(
                function.handle, UInt32(grid.0), UInt32(grid.1), UInt32(grid.2), UInt32(block.0), UInt32(block.1), UInt32(block.2),
                UInt32(sharedBytes), nil, &parameters, nil
            )
            guard status != 0 else { return }
            let shape = "grid \(grid.0)x\(grid.1)x\(grid.2), block \(block.0)x\(block.1)x\(block.2), \(sharedBytes) B shared"
            // Too many threads or too much shared memory for a block is CUDA_ERROR_INVALID_VALUE (1).
            if status == 1 { throw GPUError(.launchResources, "cuLaunchKernel(\(function.name), \(shape)): the device refuses this block shape or shared memory") }
            try driver.check(status, "cuLaunchKernel(\(function.name), \(shape))")
        }
    }
}

import CUDALibraries
import Foundation
import GPUKernels
import MachineIdentity
import Testing

@Suite("CUDA libraries through dlopen")
struct CUDALibraryTests {
    @Test("a device's limits for the GPU spaces: the opt-in shared memory, the block's registers and threads, from the driver's details")
    func limitsFromDevice() {
        let details = CUDADetails(cudaVersion: "13.0", clockMHz: 1980, memoryClockMHz: 3201, memoryBusWidthBits: 6144,
                                  l2CacheBytes: 62_914_560, sharedMemoryPerBlockBytes: 49152, sharedMemoryPerBlockOptInBytes: 232_448,
                                  sharedMemoryPerSMBytes: 233_472, registersPerBlock: 65536, registersPerSM: 65536,
                                  maxThreadsPerBlock: 1024, maxThreadsPerSM: 2048, warpSize: 32)
        let device = CUDADeviceProperties(ordinal: 0, name: "NVIDIA H200", uuid: "GPU-0", pciBusID: "0000:1b:00.0", computeCapabilityMajor: 9,
                                          computeCapabilityMinor: 0, multiprocessors: 132, memoryBytes: 1 << 30, details: details)
        #expect(GPULimits(device: device) == .sm90)
        #expect(device.architecture == "sm_90" && device.computeCapability == "9.0")
    }

    @Test("a library that is not there is named with every file tried")
    func missingLibrary() {
        do {
            _ = try SharedLibrary(candidates: ["/nonexistent/libcuda.so.1", "libtunebench-none.so"], describing: "the CUDA driver")
            Issue.record("opened a library that does not exist")
        } catch let error as GPUError {
            #expect(error.code == .libraryMissing)
            #expect(error.message.contains("/nonexistent/libcuda.so.1") && error.message.contains("libtunebench-none.so"))
        } catch { Issue.record("\(error)") }
    }

    @Test("a missing function is named with its library")
    func missingSymbol() throws {
        let libc = try SharedLibrary(candidates: ["libc.so.6"], describing: "libc")
        #expect(throws: GPUError.self) { let _: UnsafeRawPointer = try libc.function("cuNoSuchFunction") }
        let strlen: (@convention(c) (UnsafePointer<CChar>) -> Int)? = libc.optionalFunction("strlen")
        #expect(strlen?("four") == 4)
    }

    @Test("an explicit folder in the environment variable comes first")
    func candidates() {
        setenv("TUNEBENCH_TEST_LIBRARY", "/tmp", 1)
        defer { unsetenv("TUNEBENCH_TEST_LIBRARY") }
        #expect(SharedLibrary.candidates(environment: "TUNEBENCH_TEST_LIBRARY", names: ["libx.so.1"]) == ["/tmp/libx.so.1", "libx.so.1"])
        setenv("TUNEBENCH_TEST_LIBRARY", "/opt/lib/libx.so.2", 1)
        #expect(SharedLibrary.candidates(environment: "TUNEBENCH_TEST_LIBRARY", names: ["libx.so.1"]) == ["/opt/lib/libx.so.2", "libx.so.1"])
    }

    @Test("without a GPU the driver says why, and keeps saying it")
    func noDriver() throws {
        guard let error = Result(catching: { try CUDADriver.shared() }).failure else {
            print("CUDA driver present (\(try CUDADriver.shared().library.path)): the no-GPU path is not exercised here")
            return
        }
        let gpuError = try #require(error as? GPUError)
        #expect([GPUError.Code.libraryMissing, .noDevice].contains(gpuError.code))
        #expect(gpuError.message.contains("libcuda") || gpuError.message.contains("cuInit"))
        #expect(Result(catching: { try CUDADriver.shared() }).failure.map { "\($0)" } == "\(error)")
    }

    @Test("PCI bus ids compare in hwloc's form: the driver's upper case and NVML's 8-digit domain normalized")
    func busIDs() {
        #expect(CUDADeviceProperties.normalizeBusID("0000:1B:00.0") == "0000:1b:00.0")
        #expect(CUDADeviceProperties.normalizeBusID("00000000:1B:00.0") == "0000:1b:00.0")
        #expect(CUDADeviceProperties.normalizeBusID("0002:01:00.0") == "0002:01:00.0")
    }

    @Test("NVRTC picks machine code for an architecture it knows, PTX for a newer one")
    func targets() throws {
        guard let nvrtc = try? NVRTC.shared() else { return }
        #expect(nvrtc.target(computeCapability: 9, 0) == .real(90))
        let newest = try #require(nvrtc.supportedArchitectures.max())
        #expect(nvrtc.target(computeCapability: 99, 9) == .virtual(newest))
        #expect(CompileTarget.real(90).option == "--gpu-architecture=sm_90")
    }
}

extension Result {
    var failure: Failure? { if case .failure(let error) = self { error } else { nil } }
}

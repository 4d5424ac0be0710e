import ArgumentParser
import CUDALibraries
import Foundation
import GPUKernels
import HardwareProbe
import Measurement
import Reports

struct RooflineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roofline",
        abstract: "Measure this machine's roofline (same as `probe --measure`) and print it."
    )

    @OptionGroup var output: ProfileOutputOptions

    @Flag(help: "Measure every CUDA GPU's roofline instead (device memory copy/triad, fp32 FMA, fp16/bf16 tensor-core mma); needs the CUDA driver and NVRTC.")
    var gpu = false

    func run() throws {
        try runReportingErrors {
            if gpu {
                // The saved profile (it keeps the CPU roofline) gets the GPUs' rooflines added.
                var profile = try HardwareProbe.currentMachine(store: output.profiles.store, build: .thisBuild)
                let driver = try CUDADriver.shared()
                let compiler = CUDACompiler(nvrtc: try NVRTC.shared())
                for device in try driver.devices() {
                    guard let index = profile.gpus.firstIndex(where: { $0.pciBusID == device.pciBusID }) else { continue }
                    printToStderr("measuring the roofline of GPU \(device.ordinal) (\(device.name), \(device.pciBusID))")
                    let runner = try CUDAKernelRunner(context: try CUDAContext(driver: driver, ordinal: device.ordinal), compiler: compiler)
                    profile.gpus[index].roofline = try CUDARoofline.measure(runner: runner)
                }
                try output.emit(profile) {
                    for gpu in profile.gpus where gpu.roofline != nil { print(ProfileSummary.gpuLine(gpu)) }
                }
                return
            }
            var profile = try HardwareProbe.probeLiveMachine(build: .thisBuild)
            let roofline = try RooflineMeasurement.measureLiveMachine(threadCounts: output.threads, cores: profile.topology.cores) {
                printToStderr($0)
            }
            profile.roofline = roofline
            try output.emit(profile) {
                print("Roofline of \(profile.id) (\(profile.name)):")
                print(ProfileSummary.rooflineTable(roofline).render())
            }
        }
    }
}

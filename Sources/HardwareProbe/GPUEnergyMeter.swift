import CNVML
import Foundation

/// A GPU's energy counter through NVML (`nvmlDeviceGetTotalEnergyConsumption`, millijoules since
/// the driver loaded; Volta and later): read around timed runs, it gives the energy of a run.
/// Nil where NVML, the device or the counter is missing: energy is then "not measured".
public final class GPUEnergyMeter: @unchecked Sendable {
    private let nvml: NVMLLibrary
    private let device: cnvml_device
    private let read: cnvml_total_energy_fn

    /// The GPU at `pciBusID` ("0000:1b:00.0", as the probe writes it).
    public init?(pciBusID: String) {
        guard let nvml = NVMLLibrary(),
              let byBus: cnvml_get_handle_by_bus_fn = nvml.symbol("nvmlDeviceGetHandleByPciBusId_v2"),
              let read: cnvml_total_energy_fn = nvml.symbol("nvmlDeviceGetTotalEnergyConsumption") else { return nil }
        var device: cnvml_device?
        guard byBus(pciBusID, &device) == 0, let device else { return nil }
        var probe: UInt64 = 0
        guard read(device, &probe) == 0 else { return nil }
        (self.nvml, self.device, self.read) = (nvml, device, read)
    }

    /// Joules consumed since the driver loaded; nil when the read fails.
    public func joules() -> Double? {
        var millijoules: UInt64 = 0
        return read(device, &millijoules) == 0 ? Double(millijoules) / 1000 : nil
    }
}

@testable import Counters
import Foundation
import MachineIdentity
import Testing

@Suite("PAPI counter inventory", .serialized)
struct CounterInventoryTests {
    static let inventory = CounterInventory.probe()

    /// Whether the kernel exposes a CPU PMU to perf_event: the independent source of truth.
    static var kernelExposesCPUPMU: Bool {
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/bus/event_source/devices")) ?? []
        return devices.contains { $0 == "cpu" || $0 == "cpu_core" || $0 == "cpu_atom" || $0.hasPrefix("armv8_pmu") }
    }

    /// perf_event_open for one's own task: root always, others when perf_event_paranoid < 3.
    static var perfEventsAllowed: Bool {
        if geteuid() == 0 { return true }
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/perf_event_paranoid", encoding: .utf8)) ?? "3"
        return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 3) < 3
    }

    /// PAPI's perf_event component needs libpfm4 to know the CPU (a default PMU) even for its
    /// software events: on a CPU newer than the installed libpfm4 (seen: an Intel family 6 model
    /// 207 KVM guest with Debian 12's libpfm4 4.13, "no default PMU found") it is disabled and
    /// no PAPI event starts, although perf_event_open itself works.
    static var papiPerfEventEnabled: Bool { inventory.components.contains { $0.name == "perf_event" && $0.enabled } }

    @Test("PAPI initializes and lists its components")
    func initialized() {
        #expect(Self.inventory.papiError == nil)
        #expect(Self.inventory.papiVersion?.split(separator: ".").count == 4)
        #expect(Self.inventory.components.contains { $0.name == "perf_event" })
    }

    @Test("hardware events are usable exactly when the kernel exposes a CPU PMU")
    func hardwareMatchesPMU() {
        guard Self.perfEventsAllowed else { return }
        #expect(Self.inventory.hasHardwareCounters == Self.kernelExposesCPUPMU)
        #expect((Self.inventory.backend == .papiHardware) == Self.kernelExposesCPUPMU)
    }

    @Test("at least one software event works, or the backend falls back to clocks")
    func softwareEvents() {
        if Self.perfEventsAllowed && Self.papiPerfEventEnabled {
            #expect(Self.inventory.softwareEvents.contains("perf::TASK-CLOCK"))
            #expect(Self.inventory.backend != .clock)
        } else {
            #expect(Self.inventory.backend == .clock)
            if Self.perfEventsAllowed {
                // The fallback says why: PAPI's reason for disabling the component is kept.
                #expect(Self.inventory.components.first { $0.name == "perf_event" }?.disabledReason?.isEmpty == false)
            }
        }
    }

    @Test("events PAPI lists but that cannot start are counted, not reported usable")
    func refusedEvents() {
        // PAPI's perf_event component always lists hardware presets (PAPI_TOT_CYC …); where no
        // PMU is exposed they are refused at add or start, and must land in the unusable count.
        if !Self.kernelExposesCPUPMU {
            #expect(Self.inventory.unusableEventCount > 0)
            #expect(!Self.inventory.hardwareEvents.contains("PAPI_TOT_CYC"))
        }
        #expect(Set(Self.inventory.hardwareEvents).isDisjoint(with: Self.inventory.softwareEvents))
    }

    @Test("software events are told apart by name", arguments: [
        ("perf::TASK-CLOCK", true), ("perf::PERF_COUNT_SW_PAGE_FAULTS", true), ("perf::CS", true),
        ("perf::CYCLES", false), ("perf::PERF_COUNT_HW_INSTRUCTIONS", false), ("PAPI_TOT_CYC", false),
        ("amd64_fam19h_zen3::RETIRED_INSTRUCTIONS", false), ("perf::CONTEXT-SWITCHES:u=0", true),
    ])
    func classification(name: String, software: Bool) {
        #expect(SoftwareEvents.isSoftware(name) == software)
    }

    @Test("the backend follows the fallback chain")
    func backendChain() {
        let hardware = CounterInventory(papiVersion: "7", papiError: nil, components: [], hardwareEvents: ["PAPI_TOT_CYC"], softwareEvents: ["perf::TASK-CLOCK"], unusableEventCount: 0)
        let software = CounterInventory(papiVersion: "7", papiError: nil, components: [], hardwareEvents: [], softwareEvents: ["perf::TASK-CLOCK"], unusableEventCount: 3)
        let none = CounterInventory(papiVersion: nil, papiError: "no PAPI", components: [], hardwareEvents: [], softwareEvents: [], unusableEventCount: 0)
        #expect(hardware.backend == .papiHardware)
        #expect(software.backend == .papiSoftware)
        #expect(none.backend == .clock)
        #expect(software.summary.contains("no hardware counters"))
    }
}

@Suite("counter sessions", .serialized)
struct CounterSessionTests {
    @Test("a hardware event is counted where a PMU exists, and dropped for software events where not")
    func fallback() {
        let session = CounterSession(requested: ["PAPI_TOT_CYC"])
        if CounterInventoryTests.kernelExposesCPUPMU && CounterInventoryTests.perfEventsAllowed {
            #expect(session.backend == .papiHardware)
            #expect(session.events == ["PAPI_TOT_CYC"])
        } else {
            #expect(session.dropped == ["PAPI_TOT_CYC"])
            #expect(session.backend != .papiHardware)
            if CounterInventoryTests.perfEventsAllowed && CounterInventoryTests.papiPerfEventEnabled {
                #expect(session.events == CounterSession.softwareEvents)
            } else {
                #expect(session.backend == .clock)
            }
        }
    }

    @Test("counts cover the work between start and stop")
    func counting() {
        let session = CounterSession(requested: ["perf::TASK-CLOCK"])
        session.start()
        var x = 0.0
        for i in 0..<2_000_000 { x += Double(i).squareRoot() }
        let counts = session.stop()
        #expect(x > 0)
        #expect((counts["cpu-seconds"] ?? 0) > 0)
        if session.backend != .clock {
            // TASK-CLOCK counts nanoseconds of this thread's CPU time.
            let taskSeconds = (counts["perf::TASK-CLOCK"] ?? 0) / 1e9
            #expect(abs(taskSeconds - (counts["cpu-seconds"] ?? 0)) < 0.5 * (counts["cpu-seconds"] ?? 1))
        }
        #expect(session.overheadSeconds() > 0)
    }
}

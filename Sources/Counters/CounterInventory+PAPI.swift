import CPAPI
import MachineIdentity

extension CounterInventory {
    /// Lists PAPI's components and every preset and native event, and keeps those that can be
    /// added to an event set, started and stopped on this machine.
    public static func probe() -> CounterInventory {
        let library = PAPILibrary.shared
        guard library.isInitialized else {
            return CounterInventory(
                papiVersion: nil, papiError: library.initError, components: [],
                hardwareEvents: [], softwareEvents: [], unusableEventCount: 0
            )
        }
        var hardware: [String] = []
        var software: [String] = []
        var unusable = 0
        func consider(_ code: Int32) {
            guard let name = PAPILibrary.eventName(code) else { return }
            if PAPILibrary.canCount(code) {
                if SoftwareEvents.isSoftware(name) { software.append(name) } else { hardware.append(name) }
            } else {
                unusable += 1
            }
        }
        let components = PAPILibrary.serialized {
            PAPILibrary.forEachPreset(consider)
            let components = PAPILibrary.components()
            for (index, component) in components.enumerated() where component.enabled {
                PAPILibrary.forEachNativeEvent(component: Int32(index), consider)
            }
            return components
        }
        return CounterInventory(
            papiVersion: library.version, papiError: nil, components: components,
            hardwareEvents: hardware, softwareEvents: software, unusableEventCount: unusable
        )
    }
}

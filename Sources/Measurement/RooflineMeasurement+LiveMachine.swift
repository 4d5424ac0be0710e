import HardwareProbe

extension RooflineMeasurement {
    /// The live machine's roofline at `threadCounts` (default: 1 … its cores), progress lines
    /// to `progress`: what `probe --measure` and `roofline` store in the profile.
    public static func measureLiveMachine(threadCounts: [Int]?, cores: Int, progress: (String) -> Void) throws -> Roofline {
        let measurement = RooflineMeasurement(topology: try HwlocTopology())
        return measurement.measure(.init(threadCounts: threadCounts ?? defaultThreadCounts(cores: cores)), progress: progress)
    }
}

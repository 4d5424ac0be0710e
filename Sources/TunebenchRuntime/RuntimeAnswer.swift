import KernelModel

/// The runtime's answer for one layer: what to run, and which step of the fallback chain
/// (docs/DESIGN.md) produced it.
public struct RuntimeAnswer: Equatable, Sendable {
    public enum Step: String, Codable, Sendable {
        /// Tuned on this profile for this layer and kernel-library version.
        case exact
        /// Tuned on this profile for the nearest shape of the same operation and kernel.
        case nearestShape = "nearest-shape"
        /// Tuned on the most similar profile (same vector ISA class), same or nearest shape.
        case similarProfile = "similar-profile"
        /// Nothing usable was tuned: the analytical configuration from the machine's caches.
        case analytical
    }

    public var kernel: String
    public var config: KernelConfig
    public var precision: Precision
    public var step: Step
    /// Where the configuration comes from, for logs: "tuned for gemm m=32 n=64 k=64 on
    /// b59ecac405c49ef5", "analytical blocking for the caches of b59ecac405c49ef5", and why a
    /// fallback was needed.
    public var source: String
    /// Seconds per execution measured when it was tuned (exact answers only).
    public var expectedSeconds: Double?
}

/// What the kernels of a build were compiled for: the -march value and the ISA extensions the
/// compiler could emit. The probe records it in the profile's software section; it comes from
/// the caller (the Kernels target knows it), so that the probe itself needs no build flag.
public struct BuildTarget: Equatable, Sendable {
    public var march: String
    /// Extension names as the profile spells them ("avx2", "fma" …), sorted.
    public var isa: [String]

    public init(march: String, isa: [String]) {
        self.march = march
        self.isa = isa.sorted()
    }

    /// For a probe made without kernels (e.g. the runtime library computing a fingerprint).
    public static let unrecorded = BuildTarget(march: "unrecorded", isa: [])
}

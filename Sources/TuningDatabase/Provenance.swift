/// What produced a run's measurements, so results can be trusted, compared and invalidated
/// when the kernels change.
public struct Provenance: Codable, Equatable, Sendable {
    public var tunebenchVersion: String
    /// Records of another kernel-library version are not used for deployment lookups.
    public var kernelLibraryVersion: String
    public var compiler: String
    /// The target CPU of the kernels' build, e.g. "-march=native".
    public var buildFlags: String
    /// The source revision, or "unknown" outside a git checkout.
    public var gitCommit: String
    public var host: String

    public init(tunebenchVersion: String, kernelLibraryVersion: String, compiler: String, buildFlags: String,
                gitCommit: String, host: String) {
        self.tunebenchVersion = tunebenchVersion
        self.kernelLibraryVersion = kernelLibraryVersion
        self.compiler = compiler
        self.buildFlags = buildFlags
        self.gitCommit = gitCommit
        self.host = host
    }
}

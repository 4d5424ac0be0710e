import GRDB

/// The winning configuration of a layer on a profile for one kernel-library version, chosen
/// by the final interleaved re-measure of a run's top candidates.
public struct BestRecord: Codable, Equatable, Sendable {
    public var profileId: String
    public var layer: String
    public var kernelLibraryVersion: String
    public var kernel: String
    public var config: String
    public var medianSeconds: Double
    public var gflops: Double
    public var rooflineFraction: Double?
    /// Runner-up time over winner time in the final race (1.02: the winner was 2% faster).
    public var margin: Double?
    public var runnerUpConfig: String?
    /// The analytical default configuration and how much faster the winner is, raced
    /// interleaved with it.
    public var defaultConfig: String
    public var speedupOverDefault: Double?
    public var runId: String
    public var updatedAt: String

    public init(profileId: String, layer: String, kernelLibraryVersion: String, kernel: String, config: String,
                medianSeconds: Double, gflops: Double, rooflineFraction: Double?, margin: Double?, runnerUpConfig: String?,
                defaultConfig: String, speedupOverDefault: Double?, runId: String, updatedAt: String) {
        self.profileId = profileId
        self.layer = layer
        self.kernelLibraryVersion = kernelLibraryVersion
        self.kernel = kernel
        self.config = config
        self.medianSeconds = medianSeconds
        self.gflops = gflops
        self.rooflineFraction = rooflineFraction
        self.margin = margin
        self.runnerUpConfig = runnerUpConfig
        self.defaultConfig = defaultConfig
        self.speedupOverDefault = speedupOverDefault
        self.runId = runId
        self.updatedAt = updatedAt
    }
}

extension BestRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "best"
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

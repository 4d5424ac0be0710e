import GRDB

/// One tuning run: a search for one layer on one profile. A run left unfinished (`running`
/// after a kill -9 or a crash, `interrupted` after Ctrl-C or SIGTERM) is resumed by the next run
/// with the same key, which reuses its trials.
public struct RunRecord: Codable, Equatable, Sendable {
    public enum Status: String, Codable, Sendable, DatabaseValueConvertible {
        case running, finished, interrupted
    }

    /// A UUID, so runs from different machines merge without colliding.
    public var id: String
    public var profileId: String
    /// The layer key (KernelProblem.key), e.g. "gemm m=32 n=4096 k=4096 bias relu".
    public var layer: String
    public var kernel: String
    public var strategy: String
    public var seed: Int
    /// Parameters held fixed for the whole search ("threads=1,pack_b=2"), "" for none.
    public var fixed: String
    public var budgetTrials: Int?
    public var budgetSeconds: Double?
    public var status: Status
    public var startedAt: String
    public var finishedAt: String?
    public var tunebenchVersion: String
    public var kernelLibraryVersion: String
    public var compiler: String
    public var buildFlags: String
    public var gitCommit: String
    public var host: String

    public init(id: String, profileId: String, layer: String, kernel: String, strategy: String, seed: Int, fixed: String,
                budgetTrials: Int?, budgetSeconds: Double?, status: Status = .running, startedAt: String,
                finishedAt: String? = nil, provenance: Provenance) {
        self.id = id
        self.profileId = profileId
        self.layer = layer
        self.kernel = kernel
        self.strategy = strategy
        self.seed = seed
        self.fixed = fixed
        self.budgetTrials = budgetTrials
        self.budgetSeconds = budgetSeconds
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        tunebenchVersion = provenance.tunebenchVersion
        kernelLibraryVersion = provenance.kernelLibraryVersion
        compiler = provenance.compiler
        buildFlags = provenance.buildFlags
        gitCommit = provenance.gitCommit
        host = provenance.host
    }

    public var provenance: Provenance {
        Provenance(tunebenchVersion: tunebenchVersion, kernelLibraryVersion: kernelLibraryVersion, compiler: compiler,
                   buildFlags: buildFlags, gitCommit: gitCommit, host: host)
    }
}

extension RunRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

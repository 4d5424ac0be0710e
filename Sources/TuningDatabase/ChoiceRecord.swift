import GRDB

/// Which precision a layer runs in on a profile under a precision policy: what `autotune`
/// decided among the best configurations of the layer's precisions, and what deployments are
/// given for the layer. Keyed by profile, layer (without precision), kernel-library version and
/// policy.
public struct ChoiceRecord: Codable, Equatable, Sendable {
    public var profileId: String
    /// The layer without a precision, e.g. "gemm m=1 n=4096 k=4096".
    public var layer: String
    public var kernelLibraryVersion: String
    /// How the precision was chosen: "max-error 0.01 over fp32,fp16,bf16,int8,int4", or a
    /// single locked precision ("fp32").
    public var policy: String
    public var precision: String
    /// The `best` row this choice points to (the layer key with its precision).
    public var bestLayer: String
    public var relativeError: Double?
    /// The error was measured on the model's own weights (ONNX initializers).
    public var errorOnModelWeights: Bool
    public var decidedAt: String
    /// For a layer of an ONNX model: the model-level check the choice passed, e.g.
    /// "bert-encoder.onnx (batch=2, seq=8): 1 − cosine similarity to fp32, worst of 2 seeded
    /// calibration inputs, limit 0.01", and the model's output error with every layer's choice.
    public var modelCheck: String?
    public var modelOutputError: Double?

    public init(profileId: String, layer: String, kernelLibraryVersion: String, policy: String, precision: String,
                bestLayer: String, relativeError: Double?, errorOnModelWeights: Bool, decidedAt: String,
                modelCheck: String? = nil, modelOutputError: Double? = nil) {
        self.profileId = profileId
        self.layer = layer
        self.kernelLibraryVersion = kernelLibraryVersion
        self.policy = policy
        self.precision = precision
        self.bestLayer = bestLayer
        self.relativeError = relativeError
        self.errorOnModelWeights = errorOnModelWeights
        self.decidedAt = decidedAt
        self.modelCheck = modelCheck
        self.modelOutputError = modelOutputError
    }
}

extension ChoiceRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "choices"
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

extension TuningDatabase {
    /// Records a decision, replacing the previous one for the same key.
    public func record(choice: ChoiceRecord) throws {
        try write { db in try choice.upsert(db) }
    }

    public func choices(profileID: String?, kernelLibraryVersion: String?) throws -> [ChoiceRecord] {
        try read { db in
            var request = ChoiceRecord.order(Column("profile_id"), Column("layer"), Column("policy"))
            if let profileID { request = request.filter(Column("profile_id") == profileID) }
            if let kernelLibraryVersion { request = request.filter(Column("kernel_library_version") == kernelLibraryVersion) }
            return try request.fetchAll(db)
        }
    }
}

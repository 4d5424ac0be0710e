import GRDB

/// A hardware profile the database holds results for: its fingerprint, a readable name and
/// the profile document as probed (JSON, docs/profile-schema.md), so a database carries
/// everything needed to compare the machines it has results from.
public struct ProfileRecord: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var json: String
    public var addedAt: String

    public init(id: String, name: String, json: String, addedAt: String) {
        self.id = id
        self.name = name
        self.json = json
        self.addedAt = addedAt
    }
}

extension ProfileRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "profiles"
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy { .convertFromSnakeCase }
    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy { .convertToSnakeCase }
}

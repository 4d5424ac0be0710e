import Foundation
import MachineIdentity
import TunebenchCore
import TuningDatabase

extension ProfileStore {
    /// A profile named by a file or an id in this store, else by its id among a tuning
    /// database's profiles (a fleet's database holds every tuned machine's profile).
    public func load(_ reference: String, orFrom database: (any TuningStore)?) throws -> HardwareProfile {
        do { return try load(reference) } catch let error as ProbeError {
            guard let database, let record = try database.profiles().first(where: { $0.id == reference }) else { throw error }
            return try ProfileStore.decode(Data(record.json.utf8), file: "\(database.address) (profile \(reference))")
        }
    }
}

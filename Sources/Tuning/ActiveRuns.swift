import Foundation
import Synchronization
import TuningDatabase

/// The runs this process is tuning right now, so that SIGINT or SIGTERM can mark them
/// `interrupted` before the process exits (the CLI's signal handler calls `interruptAll`).
/// Their trials are already in the database: each is written as it completes.
public enum ActiveRuns {
    public struct Entry: Sendable {
        public var store: any TuningStore
        public var runID: String
        public var layer: String
    }

    private static let entries = Mutex<[String: Entry]>([:])

    static func begin(_ runID: String, layer: String, store: any TuningStore) {
        entries.withLock { $0[runID] = Entry(store: store, runID: runID, layer: layer) }
    }

    static func end(_ runID: String) {
        entries.withLock { $0[runID] = nil }
    }

    /// Marks every active run interrupted and forgets it; what it marked (a store that fails,
    /// e.g. a server that is gone, is skipped: the run stays `running`, resumable all the same).
    public static func interruptAll() -> [Entry] {
        let active = entries.withLock { entries in
            defer { entries.removeAll() }
            return Array(entries.values)
        }
        return active.filter { (try? $0.store.mark(runID: $0.runID, as: .interrupted)) != nil }
    }
}

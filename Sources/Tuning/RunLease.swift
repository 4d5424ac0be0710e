import Foundation
import TunebenchCore
import TuningDatabase

/// A claim on one run by the process tuning it, so that a second tuner on the same machine
/// started with the same arguments does not "resume" a run that is still live (and then fail
/// on the trial numbers both append). The claim is an open-file-description lock on one byte of
/// a lock file beside the database (`tuning.sqlite-lease`; for a PostgreSQL store, one per
/// location in the temporary directory), at an offset derived from the run's id: the kernel
/// drops it when the process ends, however it ends (kill -9 included), so an interrupted run is
/// resumable at once and a live one never is. Tuners on other machines are not covered (their
/// runs are under their own host, which `tune` does not resume without --resume-other-hosts).
final class RunLease {
    private let descriptor: Int32
    private var held = Set<String>()

    /// Nil where the lock file cannot be opened (a read-only folder, where nothing could be
    /// tuned anyway): runs are then not guarded.
    init?(store: any TuningStore) {
        let path: String
        if store is TuningDatabase {
            path = store.address + "-lease"
        } else {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("tunebench-\(Self.hash(store.address) % 1_000_000_007)-lease").path
        }
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
    }

    deinit { close(descriptor) }

    /// Takes the run; false when another process (or another lease in this one) holds it.
    func take(_ runID: String) -> Bool {
        guard !held.contains(runID) else { return true }
        guard lock(runID, type: Int16(F_WRLCK)) else { return false }
        held.insert(runID)
        return true
    }

    func release(_ runID: String) {
        guard held.remove(runID) != nil else { return }
        _ = lock(runID, type: Int16(F_UNLCK))
    }

    /// F_OFD_SETLK (Linux 3.15): a lock owned by this open file, so neither another thread's
    /// descriptor nor a closed one elsewhere in the process releases it.
    private func lock(_ runID: String, type: Int16) -> Bool {
        var request = flock()
        request.l_type = type
        request.l_whence = Int16(SEEK_SET)
        request.l_start = off_t(Self.hash(runID) & 0x3fff_ffff_ffff)
        request.l_len = 1
        request.l_pid = 0
        let ofdSetLock: Int32 = 37
        return withUnsafeMutablePointer(to: &request) { fcntl(descriptor, ofdSetLock, $0) } == 0
    }

    /// FNV-1a: stable across processes and builds (Swift's hashValue is seeded per process).
    static func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

import Foundation
import GRDB
import TunebenchCore

/// The tuning database in one SQLite file (WAL, so readers never wait for the writer; a busy
/// timeout, so several tuner processes can write one file at once).
///
/// Opening refuses, and leaves untouched, a file that is not SQLite, a SQLite database of
/// another application, a corrupt one, or one written by a newer tunebench; it upgrades one
/// written by an older tunebench.
public final class TuningDatabase: Sendable {
    public static let defaultPath = "results/tuning.sqlite"

    public let path: String
    /// A pool (WAL, concurrent readers) when opened for writing; a read-only queue otherwise.
    let pool: any DatabaseWriter
    /// The file's device and inode when opened: each write first checks that the path still
    /// names that file. Deleted or replaced during a run, the writes went on into the unlinked
    /// file and the command reported success (issue 16); now the next write fails and says so.
    let identity: FileIdentity?

    /// Opens (creating it and its folder when missing, unless `create` is false) and migrates.
    /// - Parameter schemaVersion: apply migrations only up to this version (tests of upgrades).
    public init(path: String, create: Bool = true, schemaVersion: Int? = nil) throws {
        self.path = path
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { throw FileError(path: path, message: "is a directory, not a database file") }
            guard create || Self.fileSize(path) > 0 else { throw FileError(path: path, message: "is an empty file, not a tuning database") }
            try Self.inspectExisting(path: path)
        } else {
            guard create else { throw FileError(path: path, message: "no such database") }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            if !fileManager.fileExists(atPath: folder) {
                // Made, and said: a mistyped --db folder should not go unnoticed.
                do { try fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw FileError(path: path, message: "cannot create its folder \(folder) (\(error.localizedDescription))")
                }
                FileHandle.standardError.write(Data("tunebench: created the folder \(folder) for the new database \(path)\n".utf8))
            }
        }
        var configuration = Configuration()
        configuration.busyMode = Self.busyWait(path)
        configuration.foreignKeysEnabled = true
        // The WAL is checkpointed every 1000 pages (SQLite's default) but keeps its largest size:
        // truncated back to at most 4 MiB after each checkpoint, and emptied when the last
        // connection closes (deinit).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_size_limit = 4194304") }
        let target = schemaVersion.map { Schema.versions[max(0, min($0, Schema.versions.count) - 1)] }
        // Two processes creating the same new file race on its first migration (one finds the
        // tables the other just made). Migrations are transactional, so the loser retries and
        // then sees them applied.
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                if let target { try Schema.migrator.migrate(pool, upTo: target) } else { try Schema.migrator.migrate(pool) }
                self.pool = pool
                break
            } catch let error as DatabaseError {
                attempt += 1
                guard attempt < 20, error.resultCode != .SQLITE_NOTADB, error.resultCode != .SQLITE_CORRUPT else {
                    throw Self.describe(error, path: path)
                }
                usleep(UInt32.random(in: 20_000...100_000))
            }
        }
        identity = FileIdentity(path: path)
    }

    /// Opens an existing database for reading only: nothing is written to it (no migration, no
    /// journal-mode change, no header byte), so `db list/show/export`, `run`, `export` and
    /// `compare` work on a read-only file and leave a database they read as it was. A database
    /// of an older schema is opened for writing instead, once, to be upgraded in place.
    public convenience init(readingPath path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw FileError(path: path, message: "no such database") }
        guard !isDirectory.boolValue else { throw FileError(path: path, message: "is a directory, not a database file") }
        guard Self.fileSize(path) > 0 else { throw FileError(path: path, message: "is an empty file, not a tuning database") }
        try Self.inspectExisting(path: path)
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = Self.busyWait(path)
        let queue: DatabaseQueue
        let applied: Int
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            applied = try queue.read { db in try Schema.migrator.appliedIdentifiers(db).count }
        } catch let error as DatabaseError {
            throw Self.describe(error, path: path)
        }
        if applied < Schema.versions.count {
            try self.init(path: path, create: false)
        } else {
            self.init(path: path, readOnly: queue)
        }
    }

    private init(path: String, readOnly queue: DatabaseQueue) {
        self.path = path
        pool = queue
        identity = FileIdentity(path: path)
    }

    /// A writer leaves the file as a reader can open it without writing: the WAL checkpointed
    /// into it and, when no other connection is open, back in rollback-journal mode, so that a
    /// read-only open (TuningDatabase(readingPath:)) creates no -wal/-shm files beside it.
    /// The next writer switches it to WAL again.
    deinit {
        guard let pool = pool as? DatabasePool else { return }
        try? pool.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
        try? pool.close()
        // Never into a file that replaced ours at the path meanwhile.
        guard let identity, FileIdentity(path: path) == identity else { return }
        var configuration = Configuration()
        configuration.busyMode = .immediateError
        if let queue = try? DatabaseQueue(path: path, configuration: configuration) {
            try? queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = DELETE") }
        }
    }

    /// Waits up to 60 s for a lock another process holds, saying so on stderr after 2 s (a
    /// silent 60 s wait looked like a hang).
    static func busyWait(_ path: String) -> Database.BusyMode {
        .callback { attempts in
            usleep(10_000)
            if attempts == 200 {
                FileHandle.standardError.write(Data("tunebench: waiting for \(path): another process holds its lock (giving up after 60 s)\n".utf8))
            }
            return attempts < 6000
        }
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// The schema version this build writes.
    public static var currentSchemaVersion: Int { Schema.versions.count }

    /// How many migrations the file has applied.
    public func schemaVersion() throws -> Int {
        try read { db in try Schema.migrator.appliedIdentifiers(db).count }
    }

    /// Checks a file before anything writes to it: SQLite's header, readable, ours or empty,
    /// not newer than this build.
    static func inspectExisting(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileError(path: path, message: "cannot be read (permissions?)")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard header.isEmpty || header == Data("SQLite format 3\0".utf8) else {
            throw FileError(path: path, message: "is not a SQLite database (its first bytes are not \"SQLite format 3\"); left untouched")
        }
        guard !header.isEmpty else { return }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.read { db in
                let check = try String.fetchOne(db, sql: "PRAGMA quick_check(1)") ?? "ok"
                guard check == "ok" else {
                    let oneLine = check.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                    throw FileError(path: path, message: "is corrupt (SQLite quick_check: \(oneLine)); left untouched")
                }
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                if !tables.isEmpty, !tables.contains("grdb_migrations") {
                    throw FileError(path: path, message: "is a SQLite database but not a tunebench tuning database (tables: \(tables.joined(separator: ", "))); left untouched")
                }
                if tables.contains("grdb_migrations") {
                    let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
                    let unknown = applied.filter { !Schema.versions.contains($0) }
                    guard unknown.isEmpty else {
                        throw FileError(path: path, message: "was written by a newer tunebench (schema \(unknown.joined(separator: ", ")); this build knows version \(Schema.versions.count)); left untouched")
                    }
                    if applied.count == Schema.versions.count, let problem = try SchemaConformance.problem(in: db) {
                        throw FileError(path: path, message: "\(problem); left untouched")
                    }
                }
            }
        } catch let error as DatabaseError {
            throw describe(error, path: path)
        }
    }

    static func describe(_ error: DatabaseError, path: String) -> FileError {
        switch error.resultCode {
        case .SQLITE_NOTADB: FileError(path: path, message: "is not a SQLite database; left untouched")
        case .SQLITE_CORRUPT: FileError(path: path, message: "is corrupt (\(error.message ?? "SQLITE_CORRUPT")); left untouched")
        case .SQLITE_BUSY, .SQLITE_LOCKED: FileError(path: path, message: "stayed locked by another process for 60 s")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: FileError(path: path, message: "cannot be opened for writing (\(error.message ?? "\(error.resultCode)"))")
        default: FileError(path: path, message: (error.message ?? "\(error)").split(separator: "\n").joined(separator: " "))
        }
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch let error as DatabaseError { throw Self.describe(error, path: path) } catch let error as FileError { throw error } catch {
            // A row GRDB cannot decode (a column of the wrong type or missing): one line naming the file.
            let first = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
            throw FileError(path: path, message: "has a row tunebench cannot read (\(first))")
        }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) throws -> T {
        if let identity {
            switch FileIdentity(path: path) {
            case nil: throw FileError(path: path, message: "was deleted during the run: this run stops here (what it recorded went into the deleted file)")
            case let now? where now != identity:
                throw FileError(path: path, message: "was replaced by another file during the run: this run stops here and writes nothing to the new file (what it recorded went into the replaced one)")
            default: break
            }
        }
        do { return try pool.write(body) } catch let error as DatabaseError { throw Self.describe(error, path: path) }
    }
}

/// A file's device and inode number: what a path names, whatever it is called.
struct FileIdentity: Equatable, Sendable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
    }
}

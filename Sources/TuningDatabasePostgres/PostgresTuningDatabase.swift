import Foundation
import Logging
import NIOPosix
import PostgresNIO
import TunebenchCore
import TuningDatabase

/// The tuning database in PostgreSQL, for fleets: the same tables and the same records as the
/// SQLite store, behind a synchronous API (one connection on its own event loop thread, each
/// call waiting for its result; never call it from an async context). Writes go through
/// unique keys and upserts, so many writers on many machines neither lose nor duplicate rows.
///
/// A server that stops answering never hangs a tuner: every statement has a time limit (the
/// location's `statement_timeout`, 30 s by default), a lost connection is reported on stderr
/// and retried for `reconnect_timeout` (60 s), the interrupted transaction is then run again
/// (every write is idempotent: a trial appended twice is one trial), and past that the call
/// throws an error naming the server.
///
/// `@unchecked Sendable`: the connection is used under `lock` only.
public final class PostgresTuningDatabase: TuningStore, @unchecked Sendable {
    public let location: PostgresLocation
    public var address: String { location.description }
    private let group: MultiThreadedEventLoopGroup
    private let configuration: PostgresConnection.Configuration
    private var connection: PostgresConnection?
    private let logger = Logger(label: "tunebench.postgres")
    private let lock = NSLock()
    /// When the current outage began (nil while connected): one message per outage, and one
    /// reconnect window, whichever thread meets it first.
    private var lostAt: Date?
    /// Where the store says that it lost and regained its server: stderr by default.
    public var reportConnection: @Sendable (String) -> Void = { message in
        FileHandle.standardError.write(Data("tunebench: \(message)\n".utf8))
    }

    public init(location: PostgresLocation, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        self.location = location
        let password = try location.password(environment: environment)
        var configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                             password: password, database: location.database,
                                                             tls: try PostgresTLS.mode(for: location))
        configuration.options.connectTimeout = .milliseconds(Int64(location.options.connectTimeout * 1000))
        // The server cancels a statement a little before the limit (its own message, then a
        // retry); the client gives up at the limit, for a server that cannot even say that.
        configuration.options.additionalStartupParameters = [("statement_timeout", "\(Int(location.options.statementTimeout * 900))")]
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            connection = try connect()
        } catch {
            try? group.syncShutdownGracefully()
            throw FileError(path: location.description, message: "cannot connect (\(Self.describe(error)))")
        }
        try migrate()
    }

    public convenience init(parsing location: String) throws {
        try self.init(location: try PostgresLocation(parsing: location))
    }

    deinit {
        if let connection { _ = try? Self.wait(connection.close(), seconds: 5) }
        try? group.syncShutdownGracefully()
    }

    private func connect() throws -> PostgresConnection {
        let attempt = PostgresConnection.connect(on: group.next(), configuration: configuration, id: 1, logger: logger)
        do {
            return try Self.wait(attempt, seconds: location.options.connectTimeout + 5)
        } catch {
            // A halted server that wakes up later still completes this attempt: close that
            // connection then (dropping it open trips PostgresNIO's assertion in debug builds,
            // seen in the fault test, and leaks a server session in release ones).
            attempt.whenSuccess { late in late.close().whenComplete { _ in withExtendedLifetime(late) {} } }
            throw error
        }
    }

    /// A server error's own message (PSQLError's description hides it), without the password,
    /// which no error carries.
    static func describe(_ error: Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            if error.code == .sslUnsupported { return "the server does not offer TLS, which sslmode requires" }
            if let underlying = error.underlying, "\(underlying)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "the server's TLS certificate is not trusted (sslmode=verify-ca/verify-full: give its root certificate in sslrootcert)"
            }
            if let underlying = error.underlying { return describe(underlying) }
            return "\(error.code)"
        }
        // Connecting failed: the reason of the last address tried, in words ("Connection refused").
        if let error = error as? NIOConnectionError, let last = error.connectionErrors.last?.error {
            if let io = last as? IOError { return String(cString: strerror(io.errnoCode)) }
            return "\(last)"
        }
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        return "\(error)"
    }

    /// Waits for `future` at most `seconds`: a dead server or network never blocks a caller.
    static func wait<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Double) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        let timer = future.eventLoop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) {
            promise.fail(ConnectionLost(reason: "no answer within \(Int(seconds.rounded())) s"))
        }
        promise.futureResult.whenComplete { _ in timer.cancel() }
        return try promise.futureResult.wait()
    }

    /// Creates the tables on a new database; refuses one written by a newer tunebench.
    private func migrate() throws {
        try transaction {
            // One migrator at a time, however many tuners start together.
            try execute("SELECT pg_advisory_xact_lock(7286301)")
            for statement in PostgresSchema.statements { try execute(PostgresQuery(unsafeSQL: statement)) }
            let versions = try execute("SELECT version FROM tunebench_schema").rows.map { try $0.decode(Int.self) }
            if let version = versions.max(), version > PostgresSchema.version {
                throw FileError(path: location.description, message: "was written by a newer tunebench (schema \(version), this build knows \(PostgresSchema.version))")
            }
            if versions.isEmpty { try execute("INSERT INTO tunebench_schema (version) VALUES (\(PostgresSchema.version))") }
            if let version = versions.max(), version < PostgresSchema.version {
                for statement in PostgresSchema.upgrades { try execute(PostgresQuery(unsafeSQL: statement)) }
                try execute("UPDATE tunebench_schema SET version = \(PostgresSchema.version)")
            }
        }
    }

    /// One statement on the open connection (call under `lock`, inside `transaction`).
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> PostgresQueryResult {
        guard let connection else { throw ConnectionLost(reason: "not connected") }
        do {
            return try Self.wait(connection.query(query, logger: logger), seconds: location.options.statementTimeout)
        } catch let error as FileError { throw error } catch let error as ConnectionLost { throw error } catch {
            if ConnectionLost.isLoss(error) { throw ConnectionLost(reason: Self.describe(error)) }
            throw FileError(path: location.description, message: Self.describe(error))
        }
    }

    /// Runs `body` in one transaction (rolled back when it throws). A lost connection is
    /// retried until `reconnect_timeout` and `body` run again on the new one.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        while true {
            do {
                if connection == nil { connection = try connect() }
                try execute("BEGIN")
                let value: T
                do {
                    value = try body()
                    try execute("COMMIT")
                } catch let error where !(error is ConnectionLost) {
                    if let connection { _ = try? Self.wait(connection.query("ROLLBACK", logger: logger), seconds: location.options.statementTimeout) }
                    throw error
                }
                if let lostAt {
                    reportConnection("reconnected to \(address) after \(Int(Date().timeIntervalSince(lostAt).rounded())) s")
                    self.lostAt = nil
                }
                return value
            } catch let error where ConnectionLost.isLoss(error) {
                // Kept alive until closed: PostgresNIO asserts when an open connection is released.
                if let stale = connection { stale.close().whenComplete { _ in withExtendedLifetime(stale) {} } }
                connection = nil
                let reason = (error as? ConnectionLost)?.reason ?? Self.describe(error)
                let since = lostAt ?? Date()
                if lostAt == nil {
                    lostAt = since
                    reportConnection("lost the connection to \(address) (\(reason)); reconnecting for up to \(Int(location.options.reconnectTimeout)) s")
                }
                let left = location.options.reconnectTimeout - Date().timeIntervalSince(since)
                guard left > 0 else {
                    throw FileError(path: address, message: "lost the connection and could not reconnect within \(Int(location.options.reconnectTimeout)) s (\(reason))")
                }
                Thread.sleep(forTimeInterval: min(2, left))
            }
        }
    }

    private func insert(_ record: some Encodable, into table: PostgresSchema.Table, onConflict: String = "DO NOTHING") throws -> Bool {
        let sql = PostgresRecordMapping.insert(table) + " ON CONFLICT (\(table.key.joined(separator: ", "))) \(onConflict)"
        return try execute(PostgresQuery(unsafeSQL: sql, binds: PostgresRecordMapping.bindings(record, table: table))).metadata.rows == 1
    }

    /// An insert with `onConflict` (a DO UPDATE … WHERE …): true when the row was inserted,
    /// false when the existing row was updated, nil when neither.
    private func upsert(_ record: some Encodable, into table: PostgresSchema.Table, onConflict: String) throws -> Bool? {
        let sql = PostgresRecordMapping.insert(table) + " ON CONFLICT (\(table.key.joined(separator: ", "))) \(onConflict) RETURNING (xmax = 0) AS inserted"
        return try execute(PostgresQuery(unsafeSQL: sql, binds: PostgresRecordMapping.bindings(record, table: table))).rows.first?.decode(Bool.self)
    }

    /// The rows whose columns equal the given values (nil: any), in `order` (default: the key).
    private func select<Record: Decodable>(_ table: PostgresSchema.Table, as type: Record.Type, where filters: [(String, (any PostgresNonThrowingEncodable)?)] = [],
                                           orderedBy order: [String]? = nil) throws -> [Record] {
        var bindings = PostgresBindings()
        var conditions: [String] = []
        for case let (column, value?) in filters {
            bindings.append(value)
            conditions.append("\(column) = $\(conditions.count + 1)")
        }
        let condition = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM \(table.name)\(condition) ORDER BY \((order ?? table.key).joined(separator: ", "))"
        return try execute(PostgresQuery(unsafeSQL: sql, binds: bindings)).rows.map { try PostgresRecordMapping.record($0, as: type, table: table) }
    }

    // MARK: - Records

    public func save(profile: ProfileRecord) throws {
        try transaction { _ = try insert(profile, into: PostgresSchema.profiles, onConflict: "DO UPDATE SET name = EXCLUDED.name, json = EXCLUDED.json") }
    }

    public func profiles() throws -> [ProfileRecord] {
        try transaction { try select(PostgresSchema.profiles, as: ProfileRecord.self) }
    }

    public func insert(run: RunRecord) throws {
        try transaction { _ = try insert(run, into: PostgresSchema.runs) }
    }

    public func resumableRun(like run: RunRecord) throws -> RunRecord? {
        try transaction {
            try select(PostgresSchema.runs, as: RunRecord.self, where: [
                ("profile_id", run.profileId), ("layer", run.layer), ("kernel", run.kernel),
                ("strategy", run.strategy), ("seed", run.seed), ("fixed", run.fixed), ("kernel_library_version", run.kernelLibraryVersion),
            ], orderedBy: ["started_at DESC", "id"]).first { $0.status != .finished }
        }
    }

    public func mark(runID: String, as status: RunRecord.Status) throws {
        try transaction {
            _ = try execute("UPDATE runs SET status = \(status.rawValue) WHERE id = \(runID) AND status <> \(RunRecord.Status.finished.rawValue)")
        }
    }

    public func finish(runID: String, at time: String) throws {
        try transaction {
            _ = try execute("UPDATE runs SET status = \(RunRecord.Status.finished.rawValue), finished_at = \(time) WHERE id = \(runID)")
        }
    }

    public func runs(profileID: String?) throws -> [RunRecord] {
        try transaction { try select(PostgresSchema.runs, as: RunRecord.self, where: [("profile_id", profileID)], orderedBy: ["started_at", "id"]) }
    }

    /// Appending the same trial again changes nothing (a retry after a lost reply); another
    /// trial under the same run and number means two tuners continue one run (two unshared
    /// autotunes of one layer at once): refused, rather than one of the two dropped.
    public func append(trial: TrialRecord) throws {
        try transaction {
            guard try !insert(trial, into: PostgresSchema.trials) else { return }
            let present: [TrialRecord] = try select(PostgresSchema.trials, as: TrialRecord.self, where: [("run_id", trial.runId), ("seq", trial.seq)])
            guard present == [trial] else {
                throw FileError(path: address, message: "trial \(trial.seq) of run \(trial.runId) was written by another tuner: two tuners are continuing the same run (split the work with autotune --share)")
            }
        }
    }

    public func trials(runID: String) throws -> [TrialRecord] {
        try transaction { try select(PostgresSchema.trials, as: TrialRecord.self, where: [("run_id", runID)]) }
    }

    /// Records a winner, replacing the previous one of the same profile, layer and version.
    public func record(best: BestRecord) throws {
        try transaction { _ = try insert(best, into: PostgresSchema.best, onConflict: "DO UPDATE SET " + PostgresRecordMapping.updateAll(PostgresSchema.best)) }
    }

    public func best(profileID: String?, kernelLibraryVersion: String?) throws -> [BestRecord] {
        try transaction {
            try select(PostgresSchema.best, as: BestRecord.self, where: [("profile_id", profileID), ("kernel_library_version", kernelLibraryVersion)],
                       orderedBy: ["profile_id", "layer"])
        }
    }

    public func choices(profileID: String?, kernelLibraryVersion: String?) throws -> [ChoiceRecord] {
        try transaction {
            try select(PostgresSchema.choices, as: ChoiceRecord.self, where: [("profile_id", profileID), ("kernel_library_version", kernelLibraryVersion)],
                       orderedBy: ["profile_id", "layer", "policy"])
        }
    }

    public func record(choice: ChoiceRecord) throws {
        try transaction { _ = try insert(choice, into: PostgresSchema.choices, onConflict: "DO UPDATE SET " + PostgresRecordMapping.updateAll(PostgresSchema.choices)) }
    }

    public func counts() throws -> (profiles: Int, runs: Int, trials: Int, best: Int) {
        try transaction {
            let counts = try PostgresSchema.tables.prefix(4).map { table in
                try execute(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)")).rows.first?.decode(Int.self) ?? 0
            }
            return (counts[0], counts[1], counts[2], counts[3])
        }
    }

    public func schemaVersion() throws -> Int {
        try transaction { try execute("SELECT max(version) FROM tunebench_schema").rows.first?.decode(Int.self) ?? 0 }
    }

    /// Every row, in key order (one snapshot).
    public func dump() throws -> DatabaseDump {
        try transaction {
            try execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return DatabaseDump(profiles: try select(PostgresSchema.profiles, as: ProfileRecord.self), runs: try select(PostgresSchema.runs, as: RunRecord.self),
                                trials: try select(PostgresSchema.trials, as: TrialRecord.self), best: try select(PostgresSchema.best, as: BestRecord.self),
                                choices: try select(PostgresSchema.choices, as: ChoiceRecord.self))
        }
    }

    /// Adds another database's rows in one transaction, as the SQLite store's merge does:
    /// present rows are kept (a run finished elsewhere is marked finished), the faster best
    /// configuration and the newer choice win. Concurrent merges of the same rows neither fail
    /// nor duplicate (ON CONFLICT on the keys).
    @discardableResult
    public func merge(_ dump: DatabaseDump) throws -> MergeSummary {
        try transaction {
            var summary = MergeSummary()
            for profile in dump.profiles {
                if try insert(profile, into: PostgresSchema.profiles) { summary.profilesAdded += 1 } else { summary.alreadyPresent += 1 }
            }
            for run in dump.runs {
                // A run finished elsewhere after this copy was taken is marked finished.
                let inserted = try upsert(run, into: PostgresSchema.runs, onConflict: """
                    DO UPDATE SET status = EXCLUDED.status, finished_at = EXCLUDED.finished_at
                    WHERE runs.status <> 'finished' AND EXCLUDED.status = 'finished'
                    """)
                if inserted == true { summary.runsAdded += 1 } else { summary.alreadyPresent += 1 }
            }
            for trial in dump.trials {
                if try insert(trial, into: PostgresSchema.trials) { summary.trialsAdded += 1 } else { summary.alreadyPresent += 1 }
            }
            for best in dump.best {
                let result = try upsert(best, into: PostgresSchema.best, onConflict: "DO UPDATE SET \(PostgresRecordMapping.updateAll(PostgresSchema.best)) WHERE best.gflops < EXCLUDED.gflops")
                switch result {
                case true?: summary.bestAdded += 1
                case false?: summary.bestReplaced += 1
                case nil: summary.alreadyPresent += 1
                }
            }
            for choice in dump.choices {
                let result = try upsert(choice, into: PostgresSchema.choices, onConflict: "DO UPDATE SET \(PostgresRecordMapping.updateAll(PostgresSchema.choices)) WHERE choices.decided_at < EXCLUDED.decided_at")
                switch result {
                case true?: summary.choicesAdded += 1
                case false?: summary.choicesReplaced += 1
                case nil: summary.alreadyPresent += 1
                }
            }
            return summary
        }
    }
}

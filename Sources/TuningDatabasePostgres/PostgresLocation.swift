import Foundation
import TunebenchCore
import TuningDatabase

/// Where a PostgreSQL tuning database is: `postgres://user@host:port/dbname` (also
/// `postgresql://`), with optional query parameters (`?sslmode=require&statement_timeout=10`,
/// see `ConnectionOptions`). The password is never part of it: it comes from PGPASSWORD, or
/// from a password file (PGPASSFILE, default ~/.pgpass: `host:port:database:user:password`
/// lines, `*` matching anything), so it is never printed, logged or exported.
public struct PostgresLocation: Equatable, Sendable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    public var options = ConnectionOptions()

    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    public init(parsing text: String) throws {
        let components = URLComponents(string: text)
        // Errors name the location, never with a password someone typed into it.
        var shown = components
        if shown?.password != nil { shown?.password = "***" }
        let name = shown?.string ?? "the database location"
        func fail(_ message: String) -> FileError { FileError(path: name, message: message) }
        guard Self.isPostgres(text), let components else {
            throw fail("is not a postgres://user@host:port/dbname location")
        }
        guard components.password == nil else {
            throw fail("has a password in it; give the password in PGPASSWORD or a password file (PGPASSFILE, ~/.pgpass) instead")
        }
        guard let user = components.user, !user.isEmpty else { throw fail("names no user: postgres://user@host:port/dbname") }
        guard let host = components.host, !host.isEmpty else { throw fail("names no host") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw fail("names no database: postgres://user@host:port/dbname") }
        self.user = user
        self.host = host
        port = components.port ?? 5432
        self.database = database
        options = try ConnectionOptions(parsing: components.queryItems ?? [], fail: fail)
    }

    /// Without any secret: safe to print (the query parameters hold none).
    public var description: String {
        let query = options.queryItems.map { "\($0.name)=\($0.value ?? "")" }.joined(separator: "&")
        return "postgres://\(user)@\(host):\(port)/\(database)" + (query.isEmpty ? "" : "?" + query)
    }

    /// The password from PGPASSWORD, else the first matching line of the password file.
    func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let password = environment["PGPASSWORD"] { return password }
        let file = environment["PGPASSFILE"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass")
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw FileError(path: description, message: "no password: set PGPASSWORD or write it to a password file (PGPASSFILE, ~/.pgpass)")
        }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        throw FileError(path: description, message: "no line of \(file) matches \(host):\(port):\(database):\(user)")
    }
}

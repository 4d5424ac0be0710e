import Foundation
import TunebenchCore

/// The query parameters of a postgres:// location. `sslmode`, `sslrootcert` and
/// `connect_timeout` mean what they mean to libpq (and default as there: `prefer`, no root
/// file, 10 s); `statement_timeout` and `reconnect_timeout` are tunebench's, in seconds: how
/// long one statement may take before the connection counts as lost (30; the server is asked
/// to cancel it at 90% of that, the client gives up at the limit), and how long a lost
/// connection is retried before the command stops with an error (60). An unknown parameter is refused, as libpq refuses it, rather
/// than ignored.
public struct ConnectionOptions: Equatable, Sendable {
    /// libpq's modes. `allow` is taken as `prefer` (TLS when the server offers it): PostgresNIO
    /// cannot retry without TLS after the server refused a plain connection.
    public enum SSLMode: String, CaseIterable, Sendable {
        case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full"
    }

    public var sslMode: SSLMode = .prefer
    public var sslRootCertificate: String?
    public var connectTimeout: Double = 10
    public var statementTimeout: Double = 30
    public var reconnectTimeout: Double = 60
    /// The parameters as given, for the location's description.
    public private(set) var queryItems: [URLQueryItem] = []

    public init() {}

    init(parsing items: [URLQueryItem], fail: (String) -> Error) throws {
        func seconds(_ item: URLQueryItem) throws -> Double {
            guard let text = item.value, let value = Double(text), value.isFinite, value > 0, value <= 86_400 else {
                throw fail("has \(item.name)=\(item.value ?? ""): give a number of seconds above 0 (at most a day)")
            }
            return value
        }
        for item in items {
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: item.value ?? "") else {
                    throw fail("has sslmode=\(item.value ?? ""): use one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw fail("has an empty sslrootcert: give the file of the certificates to trust") }
                sslRootCertificate = path
            case "connect_timeout": connectTimeout = try seconds(item)
            case "statement_timeout": statementTimeout = try seconds(item)
            case "reconnect_timeout": reconnectTimeout = try seconds(item)
            default:
                throw fail("has an unknown parameter \(item.name) (known: sslmode, sslrootcert, connect_timeout, statement_timeout, reconnect_timeout)")
            }
        }
        queryItems = items
    }
}

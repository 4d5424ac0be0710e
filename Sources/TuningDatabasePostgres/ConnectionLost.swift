import NIOCore
import NIOPosix
import PostgresNIO

/// The server stopped answering, went away or is not back yet: worth reconnecting, unlike an
/// error in a statement or a refused password.
struct ConnectionLost: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }

    static func isLoss(_ error: Error) -> Bool {
        switch error {
        case is ConnectionLost, is ChannelError, is IOError, is NIOConnectionError:
            return true
        case let error as PSQLError:
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
                return true
            case .server:
                // 08: connection exceptions; 57P01–57P05: shut down, crashed, starting up;
                // 57014: a statement cancelled at statement_timeout (a server that stalls).
                let state = error.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P") || state == "57014"
            default:
                return false
            }
        default:
            return false
        }
    }
}

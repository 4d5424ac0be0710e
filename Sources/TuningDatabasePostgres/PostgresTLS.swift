import Foundation
import NIOSSL
import PostgresNIO
import TunebenchCore

/// The TLS of a connection from the location's `sslmode`, as libpq reads it: `prefer` (the
/// default) and `require` encrypt without checking the certificate, `verify-ca` checks it
/// against the trusted roots, `verify-full` also checks the host name. The roots: `sslrootcert`,
/// else ~/.postgresql/root.crt where it exists, else the system's.
enum PostgresTLS {
    static func mode(for location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        let options = location.options
        guard options.sslMode != .disable else { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        switch options.sslMode {
        case .disable, .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        let defaultRoot = (ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()) + "/.postgresql/root.crt"
        if let root = options.sslRootCertificate ?? (FileManager.default.fileExists(atPath: defaultRoot) ? defaultRoot : nil) {
            guard FileManager.default.isReadableFile(atPath: root) else {
                throw FileError(path: location.description, message: "cannot read the root certificate file \(root) (sslrootcert)")
            }
            tls.trustRoots = .file(root)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw FileError(path: location.description, message: "cannot set up TLS (\(error))")
        }
        switch options.sslMode {
        case .allow, .prefer: return .prefer(context)
        default: return .require(context)
        }
    }
}

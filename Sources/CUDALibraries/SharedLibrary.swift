import Foundation
import MachineIdentity

/// A shared library opened with dlopen from the first of several names that loads, and its
/// functions looked up by name. Never closed: the CUDA libraries keep threads and state for the
/// life of the process, and unloading them while a context lives is undefined.
public final class SharedLibrary: @unchecked Sendable {
    /// The name or path that opened.
    public let path: String
    private let handle: UnsafeMutableRawPointer

    /// The first candidate that opens; the error lists them all with dlerror's last message.
    public init(candidates: [String], describing library: String) throws {
        var lastError = ""
        for candidate in candidates {
            let opened: UnsafeMutableRawPointer? = LibraryMapping.serialized {
                let handle = dlopen(candidate, RTLD_NOW | RTLD_LOCAL)
                if handle == nil, let message = dlerror() { lastError = String(cString: message) }
                return handle
            }
            if let opened {
                path = candidate
                handle = opened
                return
            }
        }
        throw GPUError(.libraryMissing, "\(library) not found (tried \(candidates.joined(separator: ", "))): \(lastError)")
    }

    /// The function `name` as the C function type `T`.
    public func function<T>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let pointer = dlsym(handle, name) else {
            throw GPUError(.symbolMissing, "\(path) has no \(name) (too old a version?)")
        }
        return unsafeBitCast(pointer, to: T.self)
    }

    /// `function(name)`, nil when absent (for optional entry points).
    public func optionalFunction<T>(_ name: String, as type: T.Type = T.self) -> T? {
        dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
    }

    /// Candidates for a library: an explicit file or folder from `variable` first, then the
    /// usual sonames (`names`), which the dynamic loader looks up in its own paths.
    public static func candidates(environment variable: String, names: [String]) -> [String] {
        var list: [String] = []
        if let given = ProcessInfo.processInfo.environment[variable], !given.isEmpty {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue {
                list += names.map { (given as NSString).appendingPathComponent($0) }
            } else {
                list.append(given)
            }
        }
        return list + names
    }
}

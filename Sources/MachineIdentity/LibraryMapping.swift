import Foundation

/// Serializes the calls that map or unmap shared libraries (hwloc loads its plugins when a
/// topology is created and unloads them when the last one is destroyed; NVML is opened with
/// dlopen) against PAPI's initialization, which reads /proc/self/maps twice, sizing a table on
/// the first pass, and writes past it when a library is mapped in between: a test run crashed
/// in libpapi while another thread was inside dlopen. Libraries other code maps (the Swift
/// runtime's, Foundation's) stay outside this lock.
public enum LibraryMapping {
    private static let lock = NSLock()

    public static func serialized<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}

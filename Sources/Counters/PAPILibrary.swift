import CPAPI
import Foundation
import MachineIdentity
import Synchronization

/// The process-wide PAPI library: initialized once, on first use.
///
/// `@unchecked Sendable`: its stored properties are immutable after `init`, which runs once
/// under the lazy-static lock Swift guarantees for `shared`.
public final class PAPILibrary: @unchecked Sendable {
    public static let shared = PAPILibrary()

    public let isInitialized: Bool
    public let initError: String?
    /// e.g. "7.0.0.0".
    public let version: String?
    /// PAPI's thread support, initialized right after the library: PAPI requires it before any
    /// other call (seen here: initialized later, after the inventory had used PAPI on another
    /// thread, a counter session on a third thread could add no event at all).
    let threadsReady: Bool

    private init() {
        // PAPI reads this process's library mappings here (LibraryMapping).
        let result = LibraryMapping.serialized { cpapi_library_init() }
        if result == cpapi_ver_current() {
            isInitialized = true
            initError = nil
            threadsReady = LibraryMapping.serialized { PAPI_thread_init { UInt(pthread_self()) } } == PAPI_OK
            let number = UInt32(bitPattern: PAPI_get_opt(PAPI_LIB_VERSION, nil))
            version = [24, 16, 8, 0].map { String((number >> UInt32($0)) & 0xff) }.joined(separator: ".")
        } else {
            isInitialized = false
            threadsReady = false
            initError = "PAPI_library_init returned \(result): \(Self.errorText(result))"
            version = nil
        }
    }

    /// Serializes event-set setup (the inventory, session creation) across threads: PAPI does
    /// not promise that its shared tables survive concurrent setup, and setup is rare. Counting
    /// itself (start/stop on a session's own thread) takes no lock.
    private static let setupLock = Mutex<Void>(())

    static func serialized<T>(_ body: () -> T) -> T {
        setupLock.withLock { _ in body() }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = PAPI_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    static func eventName(_ code: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PAPI_HUGE_STR_LEN))
        guard PAPI_event_code_to_name(code, &buffer) == PAPI_OK else { return nil }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Adds the event to a fresh event set, starts and stops it. The only test that tells: on a
    /// VM without a PMU, `PAPI_query_event` accepts hardware events that `PAPI_add_event` refuses.
    static func canCount(_ code: Int32) -> Bool {
        var eventSet = PAPI_NULL
        guard PAPI_create_eventset(&eventSet) == PAPI_OK else { return false }
        defer {
            PAPI_cleanup_eventset(eventSet)
            PAPI_destroy_eventset(&eventSet)
        }
        guard PAPI_add_event(eventSet, code) == PAPI_OK, PAPI_start(eventSet) == PAPI_OK else { return false }
        var values = [Int64](repeating: 0, count: 8)
        return PAPI_stop(eventSet, &values) == PAPI_OK
    }

    static func forEachPreset(_ body: (Int32) -> Void) {
        var code = cpapi_preset_mask()
        guard PAPI_enum_event(&code, Int32(PAPI_ENUM_FIRST)) == PAPI_OK else { return }
        repeat { body(code) } while PAPI_enum_event(&code, Int32(PAPI_PRESET_ENUM_AVAIL)) == PAPI_OK
    }

    static func forEachNativeEvent(component: Int32, _ body: (Int32) -> Void) {
        var code = cpapi_native_mask()
        guard PAPI_enum_cmp_event(&code, Int32(PAPI_ENUM_FIRST), component) == PAPI_OK else { return }
        repeat { body(code) } while PAPI_enum_cmp_event(&code, Int32(PAPI_ENUM_EVENTS), component) == PAPI_OK
    }

    static func components() -> [CounterInventory.Component] {
        (0..<PAPI_num_components()).compactMap { index in
            guard let info = PAPI_get_component_info(index)?.pointee else { return nil }
            var copy = info
            let reason = cString(&copy.disabled_reason)
            return CounterInventory.Component(
                name: cString(&copy.name),
                description: cString(&copy.description),
                enabled: info.disabled == 0,
                disabledReason: info.disabled == 0 || reason.isEmpty ? nil : reason
            )
        }
    }

    /// A C `char name[N]` member, imported as a tuple, as a String.
    private static func cString<T>(_ tuple: inout T) -> String {
        withUnsafeBytes(of: &tuple) { bytes in
            let chars = bytes.bindMemory(to: CChar.self)
            let end = chars.firstIndex(of: 0) ?? chars.count
            return String(decoding: bytes.prefix(end), as: UTF8.self)
        }
    }
}

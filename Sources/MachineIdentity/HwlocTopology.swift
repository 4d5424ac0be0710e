import CHwloc
import Foundation

/// Owns one loaded hwloc topology (of this machine or of an XML export) and frees it in deinit.
/// Everything hwloc-specific stays in this class and its extensions; callers get Swift values.
///
/// `@unchecked Sendable`: after `hwloc_topology_load` the topology is only read, and hwloc
/// documents read-only calls (traversal, `hwloc_set_cpubind`) on a loaded topology as thread-safe.
public final class HwlocTopology: @unchecked Sendable {
    let handle: hwloc_topology_t
    /// The XML file this topology was loaded from; nil for the live machine.
    public let xmlPath: String?

    /// The live machine, with PCI devices kept so GPUs are seen.
    public convenience init() throws {
        try self.init(xmlPath: nil)
    }

    /// An hwloc XML export (`lstopo --of xml`). Errors name the file and the problem;
    /// `diagnose` may locate a syntax error hwloc does not report (HardwareProbe passes
    /// libxml2's, which the runtime library does not link).
    public convenience init(xmlFile path: String, diagnose: (String) -> String? = { _ in nil }) throws {
        try self.init(xmlPath: path, diagnose: diagnose)
    }

    private init(xmlPath: String?, diagnose: (String) -> String? = { _ in nil }) throws {
        self.xmlPath = xmlPath
        if let xmlPath { try Self.checkReadable(xmlPath) }
        var topology: hwloc_topology_t?
        guard LibraryMapping.serialized({ hwloc_topology_init(&topology) }) == 0, let topology else {
            throw ProbeError(.topologyLoadFailed, "hwloc_topology_init failed: \(String(cString: strerror(errno)))")
        }
        handle = topology
        // PCI display controllers are what GPUs look like to hwloc; keep the important I/O objects.
        hwloc_topology_set_io_types_filter(handle, HWLOC_TYPE_FILTER_KEEP_IMPORTANT)
        // hwloc drops instruction caches by default; the profile lists every cache.
        hwloc_topology_set_icache_types_filter(handle, HWLOC_TYPE_FILTER_KEEP_ALL)
        hwloc_topology_set_type_filter(handle, HWLOC_OBJ_MEMCACHE, HWLOC_TYPE_FILTER_KEEP_ALL)
        if let xmlPath {
            // hwloc's own XML parser fails silently where libxml2 prints several lines to stderr;
            // the error we raise must be one line. It reads every export hwloc writes.
            setenv("HWLOC_LIBXML_IMPORT", "0", 1)
            let xml = try HwlocXMLInput(path: xmlPath)
            // hwloc's own parser trusts its input: a malformed attribute (bytes flipped in
            // `complete_cpuset="…"`) made it dereference null. Well-formedness first, where the
            // caller can check it (libxml2, in HardwareProbe; the runtime library has none).
            if let syntaxError = diagnose(xmlPath) {
                throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(xmlPath): \(syntaxError)")
            }
            // First in a child process: libhwloc crashes on some damaged exports, and a crash
            // there must not take the command (or a test runner) with it.
            let trial = xml.bytes.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { tunebench_hwloc_xml_trial_load($0.baseAddress, Int32($0.count)) }
            }
            if trial >= 1000 {
                let signal = trial - 1000
                throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(xmlPath): libhwloc \(signal == SIGALRM ? "hung" : "crashed (signal \(signal), \(String(cString: strsignal(signal))))") reading it: a damaged or inconsistent hwloc export")
            }
            let loaded = xml.bytes.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { text in
                    hwloc_topology_set_xmlbuffer(handle, text.baseAddress, Int32(text.count)) == 0
                        && LibraryMapping.serialized { hwloc_topology_load(handle) } == 0
                }
            }
            guard loaded else {
                let why = xml.declaredVersion.map {
                    "an hwloc \($0) export, which the hwloc \(Self.libraryVersion) here cannot import even read as 2.x"
                } ?? Self.diagnoseXML(at: xmlPath, diagnose: diagnose)
                throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(xmlPath): \(why)")
            }
        } else {
            guard LibraryMapping.serialized({ hwloc_topology_load(handle) }) == 0 else {
                throw ProbeError(.topologyLoadFailed, "hwloc could not read this machine's topology: \(String(cString: strerror(errno)))")
            }
        }
    }

    deinit {
        LibraryMapping.serialized { hwloc_topology_destroy(handle) }
    }

    private static func checkReadable(_ path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ProbeError(.topologyFileMissing, "cannot load hwloc XML at \(path): no such file")
        }
        guard !isDirectory.boolValue else {
            throw ProbeError(.topologyFileInvalid, "cannot load hwloc XML at \(path): it is a directory")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ProbeError(.topologyFileMissing, "cannot load hwloc XML at \(path): permission denied")
        }
    }

    /// The hwloc library's version, e.g. "2.9".
    static var libraryVersion: String {
        let version = hwloc_get_api_version()
        return "\(version >> 16).\((version >> 8) & 0xff)"
    }

    /// hwloc says only that loading failed; find out whether the file is broken XML (and where)
    /// or well-formed XML that is not an hwloc topology.
    static func diagnoseXML(at path: String, diagnose: (String) -> String?) -> String {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            return "the file is empty"
        }
        if let syntaxError = diagnose(path) { return syntaxError }
        return "well-formed XML, but not an hwloc topology hwloc 2.x can import"
    }

    // MARK: - Object access shared by the extensions

    var root: hwloc_obj_t { hwloc_get_root_obj(handle) }

    func objects(ofType type: hwloc_obj_type_t) -> [hwloc_obj_t] {
        let count = hwloc_get_nbobjs_by_type(handle, type)
        if count > 0 {
            return (0..<UInt32(count)).compactMap { hwloc_get_obj_by_type(handle, type, $0) }
        }
        // A type spread over several depths (e.g. Groups) reports -1; walk the normal levels.
        guard count < 0 else { return [] }
        return allNormalObjects().filter { $0.pointee.type == type }
    }

    func allNormalObjects() -> [hwloc_obj_t] {
        var result: [hwloc_obj_t] = []
        for depth in 0..<hwloc_topology_get_depth(handle) {
            let count = hwloc_get_nbobjs_by_depth(handle, depth)
            for index in 0..<count {
                if let object = hwloc_get_obj_by_depth(handle, depth, index) { result.append(object) }
            }
        }
        return result
    }

    static func info(_ object: hwloc_obj_t, _ name: String) -> String? {
        guard let value = hwloc_obj_get_info_by_name(object, name) else { return nil }
        let text = String(cString: value).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : text
    }

    /// An info attribute of the root object (OSName, OSRelease, Architecture, HostName, …).
    public func rootInfo(_ name: String) -> String? { Self.info(root, name) }

    /// An info attribute of the first package (CPUVendor, CPUModel, CPUFamilyNumber, …).
    public func packageInfo(_ name: String) -> String? {
        for package in objects(ofType: HWLOC_OBJ_PACKAGE) {
            if let value = Self.info(package, name) { return value }
        }
        return nil
    }

    static func puCount(_ object: hwloc_obj_t) -> Int {
        guard let cpuset = object.pointee.cpuset else { return 0 }
        return Int(max(0, hwloc_bitmap_weight(cpuset)))
    }

    static func typeName(_ object: hwloc_obj_t) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        hwloc_obj_type_snprintf(&buffer, buffer.count, object, 0)
        return String(nulTerminated: buffer)
    }
}

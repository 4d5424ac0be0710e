import CCUDA
import Foundation

/// NVIDIA's run-time CUDA C++ compiler (`libnvrtc.so.12`/`.13`: the CUDA toolkit's, or the
/// `nvidia-cuda-nvrtc-cu12` wheel's on PyPI), opened with dlopen. It runs without a GPU, so
/// every kernel configuration can be compiled, and rejected with its message, on any machine.
/// `TUNEBENCH_NVRTC` names the library file or its folder.
public final class NVRTC: @unchecked Sendable {
    public let library: SharedLibrary
    /// (major, minor), e.g. (12, 9).
    public let version: (major: Int, minor: Int)
    /// The real architectures it compiles for, e.g. [50, 52, …, 90, 100, 120].
    public let supportedArchitectures: [Int]

    private let createProgram: cnvrtc_create_program_fn
    private let compileProgram: cnvrtc_compile_program_fn
    private let destroyProgram: cnvrtc_destroy_program_fn
    private let logSize: cnvrtc_get_size_fn
    private let log: cnvrtc_get_bytes_fn
    private let ptxSize: cnvrtc_get_size_fn
    private let ptx: cnvrtc_get_bytes_fn
    private let cubinSize: cnvrtc_get_size_fn?
    private let cubin: cnvrtc_get_bytes_fn?
    private let errorString: cnvrtc_error_string_fn

    /// The library names tried after `TUNEBENCH_NVRTC`, newest first.
    public static let libraryNames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so"]

    public static func shared() throws -> NVRTC { try loaded.get() }

    private static let loaded: Result<NVRTC, any Error> = Result { try NVRTC() }

    private init() throws {
        library = try SharedLibrary(
            candidates: SharedLibrary.candidates(environment: "TUNEBENCH_NVRTC", names: Self.libraryNames),
            describing: "NVRTC (libnvrtc: the CUDA toolkit, or `pip install nvidia-cuda-nvrtc-cu12` and TUNEBENCH_NVRTC=<its lib folder>)"
        )
        let getVersion: cnvrtc_version_fn = try library.function("nvrtcVersion")
        createProgram = try library.function("nvrtcCreateProgram")
        compileProgram = try library.function("nvrtcCompileProgram")
        destroyProgram = try library.function("nvrtcDestroyProgram")
        logSize = try library.function("nvrtcGetProgramLogSize")
        log = try library.function("nvrtcGetProgramLog")
        ptxSize = try library.function("nvrtcGetPTXSize")
        ptx = try library.function("nvrtcGetPTX")
        cubinSize = library.optionalFunction("nvrtcGetCUBINSize")
        cubin = library.optionalFunction("nvrtcGetCUBIN")
        errorString = try library.function("nvrtcGetErrorString")
        var major: Int32 = 0, minor: Int32 = 0
        _ = getVersion(&major, &minor)
        version = (Int(major), Int(minor))
        var architectures: [Int] = []
        if let count: cnvrtc_supported_arch_count_fn = library.optionalFunction("nvrtcGetNumSupportedArchs"),
           let list: cnvrtc_supported_archs_fn = library.optionalFunction("nvrtcGetSupportedArchs") {
            var total: Int32 = 0
            if count(&total) == 0, total > 0 {
                var values = [Int32](repeating: 0, count: Int(total))
                if list(&values) == 0 { architectures = values.map(Int.init) }
            }
        }
        supportedArchitectures = architectures
    }

    /// "12.9".
    public var versionText: String { "\(version.major).\(version.minor)" }

    /// The architecture to ask NVRTC for on a device of compute capability `major.minor`: the
    /// real one (CUBIN, no JIT at load) where this NVRTC knows it, else the newest virtual
    /// architecture it knows (PTX the driver compiles at load).
    public func target(computeCapability major: Int, _ minor: Int) -> CompileTarget {
        let wanted = major * 10 + minor
        if supportedArchitectures.isEmpty || supportedArchitectures.contains(wanted) { return .real(wanted) }
        let below = supportedArchitectures.filter { $0 <= wanted }.max() ?? supportedArchitectures.min() ?? wanted
        return .virtual(below)
    }

    /// Compiles `source` with `options` (defines, architecture, …). A refused source throws
    /// `compileFailed` with NVRTC's log, trimmed to what names the error.
    public func compile(source: String, name: String, target: CompileTarget, options: [String] = []) throws -> CompiledKernel {
        var program: cnvrtc_program?
        let created = createProgram(&program, source, name, 0, nil, nil)
        guard created == 0, let handle = program else {
            throw GPUError(.compileFailed, "nvrtcCreateProgram(\(name)): \(describe(created))")
        }
        defer { _ = destroyProgram(&program) }
        // For machine code, ptxas reports registers and spills into the log (CompiledKernel.spillBytes).
        var arguments = [target.option] + options
        if target.isMachineCode { arguments.append("--ptxas-options=-v") }
        let status = withCStrings(arguments) { pointers in compileProgram(handle, Int32(pointers.count), pointers) }
        let logText = read(handle, size: logSize, bytes: log).map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) } ?? ""
        guard status == 0 else {
            let message = logText.trimmingCharacters(in: .whitespacesAndNewlines)
            throw GPUError(.compileFailed, "\(name) (\(target.option) \(options.joined(separator: " "))) did not compile: \(describe(status))\(message.isEmpty ? "" : ": " + Self.firstErrors(message))")
        }
        let ptxBytes = read(handle, size: ptxSize, bytes: ptx) ?? []
        var cubinBytes: [UInt8]? = nil
        if target.isMachineCode, let cubinSize, let cubin { cubinBytes = read(handle, size: cubinSize, bytes: cubin) }
        return CompiledKernel(target: target, ptx: Array(ptxBytes.prefix { $0 != 0 }), cubin: cubinBytes, log: logText)
    }

    private func describe(_ status: cnvrtc_result) -> String {
        errorString(status).map { String(cString: $0) } ?? "nvrtcResult \(status)"
    }

    private func read(_ program: cnvrtc_program, size: cnvrtc_get_size_fn, bytes: cnvrtc_get_bytes_fn) -> [UInt8]? {
        var count = 0
        guard size(program, &count) == 0, count > 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: count)
        guard bytes(program, &buffer) == 0 else { return nil }
        return buffer.map { UInt8(bitPattern: $0) }
    }

    /// The log's error lines (not its warnings), at most three, joined on one line.
    static func firstErrors(_ log: String) -> String {
        let lines = log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let errors = lines.filter { $0.contains("error") }
        return (errors.isEmpty ? Array(lines.prefix(3)) : Array(errors.prefix(3))).joined(separator: " | ")
    }
}

/// What NVRTC compiles for.
public enum CompileTarget: Hashable, Sendable, CustomStringConvertible {
    /// `sm_XY`: machine code (CUBIN) and PTX.
    case real(Int)
    /// `compute_XY`: PTX only.
    case virtual(Int)
    /// `sm_XYa`: machine code with the instructions of that architecture alone (Hopper's wgmma
    /// and TMA need sm_90a); it runs on that architecture only.
    case architectureSpecific(Int)

    public var option: String { "--gpu-architecture=\(self)" }

    public var description: String {
        switch self {
        case .real(let arch): "sm_\(arch)"
        case .virtual(let arch): "compute_\(arch)"
        case .architectureSpecific(let arch): "sm_\(arch)a"
        }
    }

    /// Whether NVRTC makes machine code (a CUBIN, and ptxas's resource report) for it.
    public var isMachineCode: Bool {
        if case .virtual = self { return false }
        return true
    }
}

/// NVRTC's output for one source and one set of options.
public struct CompiledKernel: Sendable {
    public var target: CompileTarget
    public var ptx: [UInt8]
    public var cubin: [UInt8]?
    /// Warnings, and for machine code ptxas's resource report (registers, stack, spills).
    public var log: String

    public init(target: CompileTarget, ptx: [UInt8], cubin: [UInt8]?, log: String) {
        self.target = target
        self.ptx = ptx
        self.cubin = cubin
        self.log = log
    }

    /// Bytes a thread spills to local memory (ptxas's "bytes spill stores", the largest of the
    /// functions); nil when the log has no resource report (PTX only).
    public var spillBytes: Int? {
        let counts = log.split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: " bytes spill stores") else { return nil }
            return Int(line[..<range.lowerBound].split(separator: " ").last ?? "")
        }
        return counts.max()
    }

    /// What `cuModuleLoadData` gets: the CUBIN where there is one, else the PTX with its NUL.
    public var loadableImage: [UInt8] { cubin ?? (ptx + [0]) }
}

/// Calls `body` with the strings as a C array of C strings.
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return body(copies.map { UnsafePointer($0) })
}

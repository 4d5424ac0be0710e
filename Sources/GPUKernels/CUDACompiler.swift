import CUDALibraries
import Foundation

/// NVRTC behind a compile cache keyed by source, defines, target and compiler version: a
/// configuration compiles once per machine kind, and a refused one fails again at once, with the
/// compiler's message, without compiling. Files: `<key>.ptx`, `<key>.log` (and `<key>.cubin`
/// for a real architecture), or `<key>.error`.
public final class CUDACompiler: @unchecked Sendable {
    public let nvrtc: NVRTC
    /// Nil: no cache (every call compiles).
    public let cacheDirectory: URL?
    private let lock = NSLock()
    private var hitCount = 0, compileCount = 0

    public init(nvrtc: NVRTC, cacheDirectory: URL? = CUDACompiler.defaultCacheDirectory) {
        self.nvrtc = nvrtc
        self.cacheDirectory = cacheDirectory
    }

    /// `TUNEBENCH_CUDA_CACHE`, else `$XDG_CACHE_HOME/tunebench/cuda`, else `~/.cache/tunebench/cuda`.
    public static var defaultCacheDirectory: URL? {
        let environment = ProcessInfo.processInfo.environment
        if let given = environment["TUNEBENCH_CUDA_CACHE"] { return given.isEmpty ? nil : URL(fileURLWithPath: given) }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("tunebench/cuda")
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/tunebench/cuda")
    }

    /// (cache hits, compilations) so far.
    public var statistics: (hits: Int, compilations: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (hitCount, compileCount)
    }

    /// Options every compilation gets besides the defines and the architecture.
    static let fixedOptions = ["--std=c++17"]

    public func compile(_ source: CUDASource, defines: [String: Int], target: CompileTarget) throws -> CompiledKernel {
        let key = source.cacheKey(defines: defines, target: target, compiler: "nvrtc \(nvrtc.versionText) \(Self.fixedOptions.joined(separator: " ")) ptxas -v")
        do {
            if let cached = try cached(key: key, target: target) {
                count(hit: true)
                return cached
            }
        } catch {
            count(hit: true)
            throw error
        }
        count(hit: false)
        do {
            let compiled = try nvrtc.compile(source: source.text, name: source.name, target: target,
                                             options: CUDASource.options(defines) + Self.fixedOptions)
            store(compiled, key: key)
            return compiled
        } catch let error as GPUError where error.code == .compileFailed {
            write(Data(error.message.utf8), key: key, suffix: "error")
            throw error
        }
    }

    private func count(hit: Bool) {
        lock.lock()
        if hit { hitCount += 1 } else { compileCount += 1 }
        lock.unlock()
    }

    private func cached(key: String, target: CompileTarget) throws -> CompiledKernel? {
        guard let directory = cacheDirectory else { return nil }
        let base = directory.appendingPathComponent(key)
        if let message = try? String(contentsOf: base.appendingPathExtension("error"), encoding: .utf8) {
            throw GPUError(.compileFailed, message + " (cached: \(base.path).error)")
        }
        guard let ptx = try? Data(contentsOf: base.appendingPathExtension("ptx")) else { return nil }
        var cubin: [UInt8]? = nil
        if target.isMachineCode {
            guard let data = try? Data(contentsOf: base.appendingPathExtension("cubin")) else { return nil }
            cubin = Array(data)
        }
        let log = (try? String(contentsOf: base.appendingPathExtension("log"), encoding: .utf8)) ?? ""
        return CompiledKernel(target: target, ptx: Array(ptx), cubin: cubin, log: log)
    }

    private func store(_ compiled: CompiledKernel, key: String) {
        // The CUBIN and the log first: a reader takes the PTX as the sign that all are there.
        if let cubin = compiled.cubin { write(Data(cubin), key: key, suffix: "cubin") }
        write(Data(compiled.log.utf8), key: key, suffix: "log")
        write(Data(compiled.ptx), key: key, suffix: "ptx")
    }

    /// Best effort: a cache that cannot be written only costs compile time. Written to a
    /// temporary name and renamed, so a concurrent reader never sees half a file.
    private func write(_ data: Data, key: String, suffix: String) {
        guard let directory = cacheDirectory else { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let final = directory.appendingPathComponent(key).appendingPathExtension(suffix)
        let temporary = directory.appendingPathComponent(".\(key).\(suffix).\(getpid()).tmp")
        guard (try? data.write(to: temporary)) != nil else { return }
        _ = rename(temporary.path, final.path)
    }
}

import CHwloc

extension SoftwareInfo {
    public static let tunebenchVersion = "0.1.0"

    /// This build: compiler, the target CPU and ISA its kernels were compiled for (given by
    /// the caller, which links them), and the versions of the C libraries it runs with.
    static func current(papiVersion: String?, build: BuildTarget) -> SoftwareInfo {
        SoftwareInfo(
            tunebenchVersion: tunebenchVersion, compiler: compilerVersion,
            buildMarch: build.march, buildISA: build.isa,
            buildISALevel: isaLevel(build.isa), hwlocVersion: HWLOC_VERSION, papiVersion: papiVersion
        )
    }

    /// The x86-64 psABI micro-architecture level the ISA set reaches (v2 needs SSE4.2; v3 AVX2,
    /// FMA and F16C; v4 AVX-512 F/BW/VL), or the architecture name elsewhere.
    static func isaLevel(_ isa: [String]) -> String {
        #if arch(x86_64)
        let set = Set(isa)
        if set.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx2", "fma"]) { return "x86-64-v4" }
        if set.isSuperset(of: ["avx", "avx2", "fma", "f16c"]) { return "x86-64-v3" }
        if set.contains("sse4.2") { return "x86-64-v2" }
        return "x86-64"
        #elseif arch(arm64)
        return isa.contains("sve2") ? "armv9-a" : "armv8-a"
        #else
        return "unknown"
        #endif
    }

    /// The Swift compiler that built this binary. `#if compiler` is the only way Swift code can
    /// see it; the ladder covers the releases tunebench supports.
    static var compilerVersion: String {
        #if compiler(>=6.4)
        return "Swift 6.4 or later"
        #elseif compiler(>=6.3.2)
        return "Swift 6.3.2"
        #elseif compiler(>=6.3.1)
        return "Swift 6.3.1"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.1)
        return "Swift 6.1"
        #else
        return "Swift 6.0"
        #endif
    }
}

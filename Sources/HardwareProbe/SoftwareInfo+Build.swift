import CCPUInfo
import CHwloc

extension SoftwareInfo {
    public static let tunebenchVersion = "0.1.0"

    /// This build: compiler, target CPU and the ISA it may use, and the versions of the C
    /// libraries it runs with.
    static func current(papiVersion: String?) -> SoftwareInfo {
        let isa = buildISA
        return SoftwareInfo(
            tunebenchVersion: tunebenchVersion, compiler: compilerVersion,
            buildMarch: String(cString: ccpuinfo_build_march()), buildISA: isa,
            buildISALevel: isaLevel(isa), hwlocVersion: HWLOC_VERSION, papiVersion: papiVersion
        )
    }

    static var buildISA: [String] {
        let bits = ccpuinfo_build_isa()
        let names: [(UInt32, String)] = [
            (UInt32(CCPUINFO_BUILD_SSE42), "sse4.2"), (UInt32(CCPUINFO_BUILD_AVX), "avx"),
            (UInt32(CCPUINFO_BUILD_AVX2), "avx2"), (UInt32(CCPUINFO_BUILD_FMA), "fma"),
            (UInt32(CCPUINFO_BUILD_F16C), "f16c"), (UInt32(CCPUINFO_BUILD_AVX512F), "avx512f"),
            (UInt32(CCPUINFO_BUILD_AVX512BW), "avx512bw"), (UInt32(CCPUINFO_BUILD_AVX512VL), "avx512vl"),
            (UInt32(CCPUINFO_BUILD_AVX512VNNI), "avx512_vnni"), (UInt32(CCPUINFO_BUILD_AVX512BF16), "avx512_bf16"),
            (UInt32(CCPUINFO_BUILD_NEON), "asimd"), (UInt32(CCPUINFO_BUILD_SVE), "sve"),
            (UInt32(CCPUINFO_BUILD_SVE2), "sve2"), (UInt32(CCPUINFO_BUILD_I8MM), "i8mm"),
            (UInt32(CCPUINFO_BUILD_BF16), "bf16"),
        ]
        return names.filter { bits & $0.0 != 0 }.map(\.1).sorted()
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

extension SoftwareInfo {
    /// The -march of this build (what TUNEBENCH_MARCH was when it was compiled).
    public static var buildMarch: String { String(cString: ccpuinfo_build_march()) }

    public static var buildUsesAVX512: Bool { buildISA.contains("avx512f") }
}

@testable import HardwareProbe
@testable import MachineIdentity
import Testing

@Suite("CPU identity decoding")
struct CPUDecodingTests {
    @Test("cpuid leaf 1 signatures decode as the vendors' manuals define", arguments: [
        (UInt32(0x00A0_0F11), 25, 1, 1),   // AMD Zen 3 (EPYC Milan)
        (UInt32(0x0083_0F10), 23, 0x31, 0), // AMD Zen 2 (Rome): extended family 8, model 0x31
        (UInt32(0x0005_06E3), 6, 0x5E, 3),  // Intel Skylake
        (UInt32(0x0000_0F29), 15, 2, 9),    // Intel Pentium 4: family 15, no extension
    ])
    func signature(eax: UInt32, family: Int, model: Int, stepping: Int) {
        let decoded = CPUSignature(eax: eax)
        #expect([decoded.family, decoded.model, decoded.stepping] == [family, model, stepping])
    }

    @Test("x86 features need both the cpuid bit and the OS state in XCR0")
    func x86Features() {
        let leaf1 = CPUID.Registers(ecx: 1 << 20 | 1 << 28 | 1 << 12 | 1 << 29)
        let leaf7 = CPUID.Registers(ebx: 1 << 5 | 1 << 16 | 1 << 30 | 1 << 31, ecx: 1 << 11)
        let leaf7s1 = CPUID.Registers(eax: 1 << 5 | 1 << 4)
        let all = X86Features.usable(leaf1: leaf1, leaf7: leaf7, leaf7s1: leaf7s1, xcr0: 0xe7)
        #expect(Set(all) == ["sse4.2", "avx", "fma", "f16c", "avx2", "avx512f", "avx512bw", "avx512vl",
                             "avx512_vnni", "avx512_bf16", "avx_vnni"])
        // An OS that saves YMM but not ZMM state: no AVX-512.
        let noZMM = X86Features.usable(leaf1: leaf1, leaf7: leaf7, leaf7s1: leaf7s1, xcr0: 0x07)
        #expect(Set(noZMM) == ["sse4.2", "avx", "fma", "f16c", "avx2", "avx_vnni"])
        // No XSAVE at all: nothing that needs AVX state.
        #expect(X86Features.usable(leaf1: leaf1, leaf7: leaf7, leaf7s1: leaf7s1, xcr0: 0) == ["sse4.2"])
    }

    @Test("arm64 HWCAP bits and /proc/cpuinfo Features give the same names")
    func armFeatures() {
        let fromBits = ARMFeatures.fromHWCaps(hwcap: 1 << 1 | 1 << 22, hwcap2: 1 << 1 | 1 << 13 | 1 << 14)
        #expect(fromBits == ["asimd", "sve", "sve2", "i8mm", "bf16"])
        let cpuinfo = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes sve sve2 i8mm bf16 asimddp\nCPU implementer\t: 0x41\nCPU part\t: 0xd4f\n\nprocessor\t: 1\n"
        #expect(ARMFeatures.fromCPUInfo(cpuinfo) == ["asimd", "asimddp", "bf16", "i8mm", "sve", "sve2"])
        #expect(ProcCPUInfo.firstFields(cpuinfo)["CPU part"] == "0xd4f")
        #expect(ARMImplementer.name("0x41") == "Arm")
        #expect(ARMImplementer.name("0x99") == "ARM implementer 0x99")
    }

    @Test("byte counts print as lstopo prints them", arguments: [
        (UInt64(32 << 10), "32KB"), (UInt64(1280 << 10), "1280KB"), (UInt64(2 << 20), "2MB"),
        (UInt64(28_835_840), "27.5MB"), (UInt64(96) << 30, "96GB"), (UInt64(512), "512B"),
    ])
    func byteCounts(bytes: UInt64, text: String) {
        #expect(ByteCount.format(bytes) == text)
    }

    @Test("ISA level of a build")
    func isaLevels() {
        #if arch(x86_64)
        #expect(SoftwareInfo.isaLevel(["sse4.2", "avx", "avx2", "fma", "f16c"]) == "x86-64-v3")
        #expect(SoftwareInfo.isaLevel(["sse4.2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl"]) == "x86-64-v4")
        #expect(SoftwareInfo.isaLevel(["sse4.2"]) == "x86-64-v2")
        #expect(SoftwareInfo.isaLevel([]) == "x86-64")
        #endif
    }
}

import CCPUInfo
import Foundation

extension CPUIdentity {
    /// The running CPU through cpuid: vendor, family/model/stepping, brand string, and the ISA
    /// extensions that both the CPU and the OS (XCR0) enable. Nil on a CPU without cpuid.
    static func fromCPUID() -> CPUIdentity? {
        guard let leaf0 = CPUID.query(0) else { return nil }
        let vendor = CPUID.text(registers: [leaf0.ebx, leaf0.edx, leaf0.ecx])
        let leaf1 = CPUID.query(1) ?? CPUID.Registers()
        let signature = CPUSignature(eax: leaf1.eax)
        let brand = (0x8000_0002...0x8000_0004).compactMap { CPUID.query($0) }
            .map { CPUID.text(registers: [$0.eax, $0.ebx, $0.ecx, $0.edx]) }.joined()
            .trimmingCharacters(in: .whitespaces)
        let leaf7 = leaf0.eax >= 7 ? CPUID.query(7) ?? CPUID.Registers() : CPUID.Registers()
        let leaf7s1 = leaf0.eax >= 7 && leaf7.eax >= 1 ? CPUID.query(7, 1) ?? CPUID.Registers() : CPUID.Registers()
        let isa = X86Features.usable(leaf1: leaf1, leaf7: leaf7, leaf7s1: leaf7s1, xcr0: ccpuinfo_xcr0())
        return CPUIdentity(
            vendor: vendor, modelName: brand.isEmpty ? nil : brand, family: signature.family,
            model: signature.model, stepping: signature.stepping, isa: isa, isaSource: "cpuid"
        )
    }
}

/// cpuid leaf 1 EAX decoded the way Intel's and AMD's manuals define the display values.
struct CPUSignature: Equatable {
    let family: Int
    let model: Int
    let stepping: Int

    init(eax: UInt32) {
        let baseFamily = Int((eax >> 8) & 0xf)
        let baseModel = Int((eax >> 4) & 0xf)
        stepping = Int(eax & 0xf)
        family = baseFamily == 0xf ? baseFamily + Int((eax >> 20) & 0xff) : baseFamily
        model = baseFamily == 0x6 || baseFamily == 0xf ? baseModel | Int((eax >> 16) & 0xf) << 4 : baseModel
    }
}

package enum CPUID {
    package struct Registers {
        package var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0
    }

    package static func query(_ leaf: UInt32, _ subleaf: UInt32 = 0) -> Registers? {
        var regs: [UInt32] = [0, 0, 0, 0]
        guard ccpuinfo_cpuid(leaf, subleaf, &regs) != 0 else { return nil }
        return Registers(eax: regs[0], ebx: regs[1], ecx: regs[2], edx: regs[3])
    }

    /// Registers holding ASCII, little-endian, as in the vendor id and brand string.
    static func text(registers: [UInt32]) -> String {
        let bytes = registers.flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The x86 ISA extensions tunebench cares about, from cpuid bits, kept only when the OS saves
/// the register state they need (XCR0): a CPU with AVX-512 under an OS that does not enable
/// ZMM state cannot run AVX-512 code.
enum X86Features {
    static func usable(leaf1: CPUID.Registers, leaf7: CPUID.Registers, leaf7s1: CPUID.Registers, xcr0: UInt64) -> [String] {
        let avxState = xcr0 & 0x6 == 0x6           // XMM and YMM
        let avx512State = avxState && xcr0 & 0xe0 == 0xe0 // opmask, ZMM_Hi256, Hi16_ZMM
        let amxState = xcr0 & 0x6_0000 == 0x6_0000 // XTILECFG, XTILEDATA
        func bit(_ register: UInt32, _ index: UInt32) -> Bool { register & (1 << index) != 0 }
        var features: [String] = []
        func add(_ name: String, _ present: Bool) { if present { features.append(name) } }
        add("sse4.2", bit(leaf1.ecx, 20))
        add("avx", avxState && bit(leaf1.ecx, 28))
        add("fma", avxState && bit(leaf1.ecx, 12))
        add("f16c", avxState && bit(leaf1.ecx, 29))
        add("avx2", avxState && bit(leaf7.ebx, 5))
        add("avx512f", avx512State && bit(leaf7.ebx, 16))
        add("avx512bw", avx512State && bit(leaf7.ebx, 30))
        add("avx512vl", avx512State && bit(leaf7.ebx, 31))
        add("avx512_vnni", avx512State && bit(leaf7.ecx, 11))
        add("avx512_bf16", avx512State && bit(leaf7s1.eax, 5))
        add("avx_vnni", avxState && bit(leaf7s1.eax, 4))
        add("amx_bf16", amxState && bit(leaf7.edx, 22))
        add("amx_tile", amxState && bit(leaf7.edx, 24))
        add("amx_int8", amxState && bit(leaf7.edx, 25))
        return features
    }
}

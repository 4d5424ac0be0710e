import Foundation
import HardwareProbe
import Kernels
import Measurement
import Testing

/// The live probe checked against sources independent of hwloc and cpuid: sysfs, /proc/cpuinfo,
/// the PCI class files. Nothing here is specific to the development machine.
@Suite("live machine probe", .serialized)
struct LiveProbeTests {
    static let build = BuildTarget(march: KernelLibrary.buildMarch, isa: KernelLibrary.buildISA)
    static let profile: HardwareProfile = {
        // A probe failure is a test failure below; fatalError would hide which test.
        (try? HardwareProbe.probeLiveMachine(build: Self.build))!
    }()

    @Test("PU count equals the online CPU count")
    func onlineCPUs() throws {
        let online = try String(contentsOfFile: "/sys/devices/system/cpu/online", encoding: .utf8)
        #expect(Self.profile.topology.pus == SysfsCPUList.count(online))
    }

    @Test("every cache of cpu0 in sysfs is in the profile with the same attributes")
    func cachesMatchSysfs() throws {
        let base = "/sys/devices/system/cpu/cpu0/cache"
        let entries = try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasPrefix("index") }
        try #require(!entries.isEmpty, "no sysfs cache files to compare with")
        for entry in entries {
            func read(_ name: String) -> String? {
                (try? String(contentsOfFile: "\(base)/\(entry)/\(name)", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let level = Int(read("level") ?? "") ?? 0
            let type: CacheInfo.CacheType = switch read("type") {
            case "Data": .data
            case "Instruction": .instruction
            default: .unified
            }
            let size = SysfsCPUList.bytes(read("size") ?? "0")
            let sharing = SysfsCPUList.count(read("shared_cpu_list") ?? "")
            let matches = Self.profile.topology.caches.filter {
                $0.level == level && $0.type == type && $0.sizeBytes == size && $0.sharedByPUs == sharing
            }
            #expect(matches.count == 1, "sysfs \(entry): L\(level) \(type) \(size) B shared by \(sharing)")
            if let ways = Int(read("ways_of_associativity") ?? ""), ways > 0 {
                #expect(matches.first?.associativity == ways)
            }
            if let line = Int(read("coherency_line_size") ?? ""), line > 0 {
                #expect(matches.first?.lineBytes == line)
            }
        }
    }

    @Test("two probes of this machine give the same fingerprint")
    func stableFingerprint() throws {
        let again = try HardwareProbe.probeLiveMachine()
        #expect(again.id == Self.profile.id)
        #expect(again.id.count == 16)
    }

    @Test("GPUs are exactly the PCI display controllers in sysfs (none is an empty list)")
    func gpusMatchPCIClasses() throws {
        let base = "/sys/bus/pci/devices"
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
        let display = devices.filter { device in
            let cls = (try? String(contentsOfFile: "\(base)/\(device)/class", encoding: .utf8)) ?? ""
            return cls.hasPrefix("0x03")
        }
        #expect(Self.profile.gpus.map(\.pciBusID).sorted() == display.sorted())
    }

    #if arch(x86_64)
    @Test("vendor, model name and ISA flags agree with /proc/cpuinfo")
    func cpuMatchesProcCPUInfo() throws {
        let text = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        let cpu = Self.profile.cpu
        #expect(cpu.vendor == fields["vendor_id"])
        #expect(cpu.modelName == fields["model name"])
        #expect(cpu.family == Int(fields["cpu family"] ?? ""))
        #expect(cpu.model == Int(fields["model"] ?? ""))
        let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        // tunebench's name → the kernel's flag name.
        let names = ["sse4.2": "sse4_2", "avx": "avx", "avx2": "avx2", "fma": "fma", "f16c": "f16c",
                     "avx512f": "avx512f", "avx512bw": "avx512bw", "avx512vl": "avx512vl",
                     "avx512_vnni": "avx512_vnni", "avx512_bf16": "avx512_bf16", "avx_vnni": "avx_vnni",
                     "amx_tile": "amx_tile", "amx_bf16": "amx_bf16", "amx_int8": "amx_int8"]
        for (ours, kernels) in names {
            #expect(cpu.has(ours) == flags.contains(kernels), "\(ours)")
        }
        #expect(cpu.isaSource == "cpuid")
    }
    #endif

    @Test("the profile records this OS and build")
    func systemAndBuild() throws {
        var name = utsname()
        uname(&name)
        let machine = withUnsafeBytes(of: &name.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        #expect(Self.profile.system.architecture == machine)
        #expect(Self.profile.software.compiler.hasPrefix("Swift 6"))
        #expect(!Self.profile.software.buildMarch.isEmpty)
        #expect(Self.profile.source.kind == .live)
        #if arch(x86_64)
        #expect(Self.profile.software.buildISALevel.hasPrefix("x86-64"))
        // A build for this machine's CPU (the default -march=native) may use FMA and AVX2 when the CPU has them.
        if Self.profile.software.buildMarch == "native", Self.profile.cpu.isa.contains("avx2") {
            #expect(Self.profile.software.buildISA.contains("avx2"))
        }
        #endif
        // Without kernels the build is recorded as unknown, and the fingerprint does not change.
        let bare = try HardwareProbe.probeLiveMachine()
        #expect(bare.software.buildMarch == "unrecorded" && bare.software.buildISA.isEmpty)
        #expect(bare.id == Self.profile.id)
    }
}

/// Parsers for sysfs formats: CPU lists ("0-3,8,10-11") and cache sizes ("32K").
enum SysfsCPUList {
    static func count(_ list: String) -> Int {
        list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").reduce(0) { total, range in
            let bounds = range.split(separator: "-").compactMap { Int($0) }
            return total + (bounds.count == 2 ? bounds[1] - bounds[0] + 1 : bounds.count)
        }
    }

    static func bytes(_ size: String) -> UInt64 {
        let units: [Character: UInt64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30]
        guard let last = size.last, let unit = units[last] else { return UInt64(size) ?? 0 }
        return (UInt64(size.dropLast()) ?? 0) * unit
    }
}

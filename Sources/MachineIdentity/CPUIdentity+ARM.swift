import Foundation

extension CPUIdentity {
    /// An ARM CPU's ISA from the kernel's HWCAP bits (getauxval), or from the Features line of
    /// /proc/cpuinfo when HWCAP is not available. Identity comes from hwloc (CPUModel) or the
    /// implementer/part numbers in /proc/cpuinfo.
    static func fromARM(cpuinfo: String, hwloc: HwlocTopology) -> CPUIdentity {
        var isa: [String]
        var source: String
        if let hwcaps = ARMFeatures.auxiliaryHWCaps() {
            isa = ARMFeatures.fromHWCaps(hwcap: hwcaps.hwcap, hwcap2: hwcaps.hwcap2)
            source = "hwcap"
        } else {
            isa = ARMFeatures.fromCPUInfo(cpuinfo)
            source = "proc-cpuinfo"
        }
        let fields = ProcCPUInfo.firstFields(cpuinfo)
        let implementer = fields["CPU implementer"]
        let part = fields["CPU part"]
        let model = hwloc.packageInfo("CPUModel") ?? part.map { "\(implementer.map(ARMImplementer.name) ?? "ARM") part \($0)" }
        return CPUIdentity(
            vendor: hwloc.packageInfo("CPUVendor") ?? implementer.map(ARMImplementer.name),
            modelName: model, family: nil, model: part.flatMap { Int($0.dropFirst(2), radix: 16) },
            stepping: fields["CPU revision"].flatMap { Int($0) }, isa: isa, isaSource: source
        )
    }
}

enum ARMFeatures {
    /// Linux arm64 HWCAP bits (arch/arm64/include/uapi/asm/hwcap.h).
    static func fromHWCaps(hwcap: UInt64, hwcap2: UInt64) -> [String] {
        var features: [String] = []
        func add(_ name: String, _ present: Bool) { if present { features.append(name) } }
        add("asimd", hwcap & (1 << 1) != 0)
        add("fphp", hwcap & (1 << 9) != 0)
        add("asimdhp", hwcap & (1 << 10) != 0)
        add("asimddp", hwcap & (1 << 20) != 0)
        add("sve", hwcap & (1 << 22) != 0)
        add("sve2", hwcap2 & (1 << 1) != 0)
        add("i8mm", hwcap2 & (1 << 13) != 0)
        add("bf16", hwcap2 & (1 << 14) != 0)
        return features
    }

    /// The same features from the Features line of /proc/cpuinfo, which uses the same names.
    static func fromCPUInfo(_ cpuinfo: String) -> [String] {
        let known: Set<String> = ["asimd", "fphp", "asimdhp", "asimddp", "sve", "sve2", "i8mm", "bf16"]
        let line = ProcCPUInfo.firstFields(cpuinfo)["Features"] ?? ""
        return line.split(separator: " ").map(String.init).filter(known.contains).sorted()
    }

    static func auxiliaryHWCaps() -> (hwcap: UInt64, hwcap2: UInt64)? {
        #if os(Linux) && arch(arm64)
        return (UInt64(getauxval(UInt(AT_HWCAP))), UInt64(getauxval(UInt(AT_HWCAP2))))
        #else
        return nil
        #endif
    }
}

/// /proc/cpuinfo as "key: value" fields of its first processor block.
enum ProcCPUInfo {
    static func read() -> String {
        (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
    }

    static func firstFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty, !fields.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = value }
        }
        return fields
    }
}

/// Arm's registered implementer codes (MIDR_EL1 bits 31:24), as /proc/cpuinfo and hwloc print them.
enum ARMImplementer {
    static let names: [Int: String] = [
        0x41: "Arm", 0x42: "Broadcom", 0x43: "Cavium", 0x46: "Fujitsu", 0x48: "HiSilicon",
        0x4e: "NVIDIA", 0x50: "Applied Micro", 0x51: "Qualcomm", 0x61: "Apple", 0xc0: "Ampere",
    ]

    static func name(_ code: String) -> String {
        let value = Int(code.lowercased().replacingOccurrences(of: "0x", with: ""), radix: 16)
        return value.flatMap { names[$0] } ?? "ARM implementer \(code)"
    }
}

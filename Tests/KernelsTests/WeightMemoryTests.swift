import Foundation
import Kernels
import Testing

/// Weight buffers: aligned, zeroed, and advised as huge pages from 2 MiB on.
@Suite("weight memory")
struct WeightMemoryTests {
    @Test("small buffers are 64-byte aligned and zeroed; from 2 MiB on, whole 2 MiB pages eligible for THP")
    func alignmentAndAdvice() throws {
        let small = WeightMemory.allocate(byteCount: 1000)
        defer { WeightMemory.deallocate(small) }
        #expect(Int(bitPattern: small) % 64 == 0)
        #expect(UnsafeRawBufferPointer(start: small, count: 1000).allSatisfy { $0 == 0 })

        let bytes = 5 << 20 + 123
        let large = WeightMemory.allocate(byteCount: bytes)
        defer { WeightMemory.deallocate(large) }
        #expect(Int(bitPattern: large) % WeightMemory.hugePageBytes == 0)
        let buffer = UnsafeMutableRawBufferPointer(start: large, count: bytes)
        #expect(buffer.allSatisfy { $0 == 0 })
        buffer[bytes - 1] = 7
        #expect(buffer[bytes - 1] == 7)

        // The kernel's view of the mapping: THP eligibility (whether the pages are huge right now
        // depends on free memory; eligibility follows the advice alone).
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        guard mode.contains("[always]") || mode.contains("[madvise]") else {
            print("weight memory: transparent huge pages are off or absent here (\(mode.trimmingCharacters(in: .whitespacesAndNewlines))); eligibility not checked")
            return
        }
        let eligible = try Self.thpEligible(address: UInt(bitPattern: large))
        #expect(eligible == true, "the mapping holding a \(bytes)-byte weight buffer is not THP-eligible (smaps: \(String(describing: eligible)))")
    }

    /// The THPeligible field of the /proc/self/smaps entry holding `address` (nil: not found).
    static func thpEligible(address: UInt) throws -> Bool? {
        // /proc files report a size of 0: read to the end rather than by the size.
        guard let file = FileHandle(forReadingAtPath: "/proc/self/smaps") else { return nil }
        defer { try? file.close() }
        let smaps = String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
                let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
                inside = bounds.count == 2 && bounds[0] <= address && address < bounds[1]
            } else if inside, fields.first == "THPeligible:" {
                return fields.dropFirst().first == "1"
            }
        }
        return nil
    }
}

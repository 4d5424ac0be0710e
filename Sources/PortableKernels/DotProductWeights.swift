import CIntegerKernels
import KernelModel

/// Weights repacked once, at load, for the dot-product kernels: 16-column panels in units of
/// 64 bytes (4 k of int8, 8 of int4, 2 of bf16 per 32-bit lane; CIntegerKernels.h), the same
/// layout for every instruction set, with their scales per panel and group and each column's
/// sum of dequantized weights (for the activations' zero point).
///
/// `@unchecked Sendable`: immutable after init; kernels only read it.
package final class DotProductWeights: @unchecked Sendable {
    package private(set) var packed: ckq_weights
    let data: UnsafeMutableRawPointer
    let scales: UnsafeMutablePointer<Float>
    let sums: UnsafeMutablePointer<Float>

    package var kp: Int { Int(packed.kp) }
    package var panels: Int { Int(packed.panels) }

    package init(_ w: WeightMatrix) {
        let bits: Int32 = switch w.precision {
        case .int8: 8
        case .int4: 4
        default: 16
        }
        let k = Int64(w.rows), n = Int64(w.columns)
        let kp = (k + 63) / 64 * 64, panels = (n + 15) / 16
        // The kernels step through the padded K: its groups past K need scales too.
        let groups = w.precision.isQuantized && w.group > 0 ? (kp + Int64(w.group) - 1) / Int64(w.group) : 1
        data = WeightMemory.allocate(byteCount: Int(ckq_packed_bytes(k, n, bits)))
        scales = .allocate(capacity: Int(panels * groups * 16))
        sums = .allocate(capacity: Int(panels * 16))
        packed = ckq_weights(
            k: k, n: n, kp: kp, panels: panels, bits: bits, float16: w.precision == .fp16 ? 1 : 0,
            group: Int32(w.precision.isQuantized ? w.group : 0), groups: groups, data: data.assumingMemoryBound(to: UInt8.self), scales: scales, wsum: sums
        )
        if w.precision.isQuantized, let source = w.scales {
            ckq_pack_int(&packed, w.storage, source)
        } else {
            // 16-bit weights: no scales.
            scales.initialize(repeating: 1, count: Int(panels * groups * 16))
            sums.initialize(repeating: 0, count: Int(panels * 16))
            if w.precision == .fp16 {
                ckq_pack_fp16(&packed, w.storage.assumingMemoryBound(to: UInt16.self))
            } else {
                ckq_pack_bf16(&packed, w.storage.assumingMemoryBound(to: UInt16.self))
            }
        }
    }

    deinit {
        WeightMemory.deallocate(data)
        scales.deallocate()
        sums.deallocate()
    }
}

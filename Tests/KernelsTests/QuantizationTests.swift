@testable import Kernels
import Testing

@Suite("weight formats")
struct QuantizationTests {
    static let rows = 64, columns = 24
    static let data = FloatBuffer(random: rows * columns, seed: 9)

    @Test("int8 and int4 round trips stay within half a step of their scale", arguments: [Precision.int8, .int4], [0, 16, 32])
    func quantizedRoundTrip(precision: Precision, group: Int) throws {
        let w = try WeightMatrix(Self.data.pointer, rows: Self.rows, columns: Self.columns, precision: precision, group: group)
        #expect(w.groups == (group == 0 ? 1 : Self.rows / group))
        let levels: Float = precision == .int8 ? 127 : 7
        for k in 0..<Self.rows {
            for n in 0..<Self.columns {
                let original = Self.data.pointer[k * Self.columns + n]
                let scale = w.scale(row: k, column: n)
                #expect(abs(w.value(row: k, column: n) - original) <= scale / 2 + 1e-6)
                #expect(abs(original) <= scale * levels + 1e-6) // the scale covers the group's range
            }
        }
    }

    @Test("int4 with an odd K (a 3x3x3 conv's 27 rows) keeps its last row in a half-used byte row")
    func int4OddRows() throws {
        let w = try WeightMatrix(Self.data.pointer, rows: 27, columns: 16, precision: .int4, group: 32)
        #expect(w.byteCount == 14 * 16 + 16 * 4) // 14 byte rows of nibble pairs, one scale per column
        for n in 0..<16 {
            let original = Self.data.pointer[26 * 16 + n]
            #expect(abs(w.value(row: 26, column: n) - original) <= w.scale(row: 26, column: n) / 2 + 1e-6)
        }
    }

    @Test("fp16 and bf16 keep their mantissa's precision", arguments: [(Precision.fp16, Float(1e-3)), (.bf16, 8e-3)])
    func halfPrecision(precision: Precision, relative: Float) throws {
        let w = try WeightMatrix(Self.data.pointer, rows: Self.rows, columns: Self.columns, precision: precision)
        for i in 0..<(Self.rows * Self.columns) {
            let original = Self.data.pointer[i]
            #expect(abs(w.value(row: i / Self.columns, column: i % Self.columns) - original) <= relative * abs(original) + 1e-7)
        }
    }

    @Test("bfloat16 rounds to nearest even and keeps specials")
    func bfloat16() {
        #expect(BFloat16.decode(BFloat16.encode(1.0)) == 1.0)
        #expect(BFloat16.decode(BFloat16.encode(-2.5)) == -2.5)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        #expect(BFloat16.decode(BFloat16.encode(1 + 1.0 / 256)) == 1.0)
        #expect(BFloat16.decode(BFloat16.encode(1 + 3.0 / 256)) == 1 + 4.0 / 256)
        #expect(BFloat16.decode(BFloat16.encode(.infinity)) == .infinity)
        #expect(BFloat16.decode(BFloat16.encode(.nan)).isNaN)
    }

    @Test("invalid quantization settings are refused")
    func invalid() {
        #expect(throws: KernelError.self) { try WeightMatrix(Self.data.pointer, rows: Self.rows, columns: Self.columns, precision: .int8, group: 7) }
        #expect(throws: KernelError.self) { try WeightMatrix(Self.data.pointer, rows: 3, columns: 2, precision: .int4) }
        #expect(throws: KernelError.self) { try WeightMatrix(Self.data.pointer, rows: 0, columns: 2, precision: .fp32) }
    }
}

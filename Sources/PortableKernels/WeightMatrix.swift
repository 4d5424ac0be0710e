import KernelModel

/// A K x N weight matrix (row k, output channel n) stored in one precision. Quantized
/// formats are symmetric: w ≈ q · scale, with one scale per output channel (group = 0) or per
/// group of `group` consecutive k in each channel.
///
/// `@unchecked Sendable`: immutable after init; kernels only read it, from any thread.
public final class WeightMatrix: @unchecked Sendable {
    public let rows: Int      // K
    public let columns: Int   // N
    public let precision: Precision
    /// Quantization group along K; 0 means per output channel (one group of K).
    public let group: Int
    /// fp32: Float; fp16: Float16; bf16: UInt16 (upper half of the fp32 bits); int8: Int8;
    /// int4: UInt8 holding two values (k even in the low nibble), row-major K x N/2.
    package let storage: UnsafeMutableRawPointer
    /// [groups x N] scales for int8/int4, row g for k in g*group ..< (g+1)*group.
    package let scales: UnsafeMutablePointer<Float>?
    /// False when `storage` is the caller's memory (an fp32 view, see `init(viewing:)`).
    private let ownsStorage: Bool

    public var groupSize: Int { group == 0 ? rows : group }
    public var groups: Int { (rows + groupSize - 1) / groupSize }

    /// Converts (and for int8/int4 quantizes) fp32 weights, row-major K x N.
    public init(_ weights: UnsafePointer<Float>, rows: Int, columns: Int, precision: Precision, group: Int = 0) throws {
        guard rows > 0, columns > 0 else { throw KernelError.invalidConfig("weights must be at least 1 x 1") }
        if precision.isQuantized, group != 0, group <= 0 || group % 2 != 0 {
            throw KernelError.invalidConfig("quantization group \(group) must be 0 (per channel) or a positive even number")
        }
        if precision == .int4, columns % 2 != 0 || (group == 0 ? rows : group) % 2 != 0 {
            throw KernelError.invalidConfig("int4 needs an even number of columns and an even group")
        }
        self.rows = rows
        self.columns = columns
        self.precision = precision
        self.group = precision.isQuantized ? group : 0
        ownsStorage = true
        let count = rows * columns
        // int4 packs two rows per byte row: an odd K needs a last, half-used byte row (without
        // it, quantizing a 27-row conv weight with group 32 wrote past the allocation).
        let bytes = precision == .int4 ? (rows + 1) / 2 * columns : count * Int(precision.bytesPerWeight)
        storage = WeightMemory.allocate(byteCount: bytes)
        switch precision {
        case .fp32:
            storage.copyMemory(from: weights, byteCount: count * 4)
            scales = nil
        case .fp16:
            let out = storage.bindMemory(to: Float16.self, capacity: count)
            for i in 0..<count { out[i] = Float16(weights[i]) }
            scales = nil
        case .bf16:
            let out = storage.bindMemory(to: UInt16.self, capacity: count)
            for i in 0..<count { out[i] = BFloat16.encode(weights[i]) }
            scales = nil
        case .int8, .int4:
            let groupsCount = (rows + (group == 0 ? rows : group) - 1) / (group == 0 ? rows : group)
            let scaleStorage = UnsafeMutablePointer<Float>.allocate(capacity: groupsCount * columns)
            scales = scaleStorage
            Quantizer.quantize(weights, rows: rows, columns: columns, group: group == 0 ? rows : group,
                               levels: precision == .int8 ? 127 : 7, scales: scaleStorage, into: storage,
                               packNibbles: precision == .int4)
        }
    }

    /// fp32 weights read where they are, without a copy: for a product whose B changes on
    /// every call (matmul). The caller keeps `weights` alive and unchanged while this is used.
    public init(viewing weights: UnsafePointer<Float>, rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        precision = .fp32
        group = 0
        storage = UnsafeMutableRawPointer(mutating: weights)
        scales = nil
        ownsStorage = false
    }

    deinit {
        if ownsStorage { WeightMemory.deallocate(storage) }
        scales?.deallocate()
    }

    /// Weight (k, n) as the kernels see it after dequantization.
    public func value(row k: Int, column n: Int) -> Float {
        let index = k * columns + n
        switch precision {
        case .fp32: return storage.load(fromByteOffset: index * 4, as: Float.self)
        case .fp16: return Float(storage.load(fromByteOffset: index * 2, as: Float16.self))
        case .bf16: return BFloat16.decode(storage.load(fromByteOffset: index * 2, as: UInt16.self))
        case .int8:
            return Float(storage.load(fromByteOffset: index, as: Int8.self)) * scale(row: k, column: n)
        case .int4:
            return Float(Quantizer.nibble(storage, row: k, column: n, columns: columns)) * scale(row: k, column: n)
        }
    }

    package func scale(row k: Int, column n: Int) -> Float {
        scales.map { $0[(k / groupSize) * columns + n] } ?? 1
    }

    /// Bytes of weights and scales: what a memory-bound kernel must read.
    public var byteCount: Int {
        let weights = precision == .int4 ? (rows + 1) / 2 * columns : rows * columns * Int(precision.bytesPerWeight)
        return weights + (scales == nil ? 0 : groups * columns * 4)
    }
}

/// bfloat16: the upper 16 bits of an IEEE fp32, rounded to nearest even.
public enum BFloat16 {
    @inline(__always)
    public static func encode(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = 0x7fff + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }

    @inline(__always)
    public static func decode(_ value: UInt16) -> Float {
        Float(bitPattern: UInt32(value) << 16)
    }
}

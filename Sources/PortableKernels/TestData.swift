/// A deterministic random number generator (SplitMix64): kernel inputs and search strategies
/// take a seed, so runs, searches and simulations replay exactly.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Deterministic pseudo-random inputs, so every run of a configuration sees the same data and
/// failures reproduce.
public struct TestData {
    private var generator: SplitMix64

    public init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    /// Uniform in [-1, 1).
    public mutating func nextUnit() -> Float {
        Float(generator.next() >> 40) * (2.0 / Float(1 << 24)) - 1
    }

    public mutating func fill(_ pointer: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { pointer[i] = nextUnit() }
    }
}

/// 64-byte-aligned Float storage owned by a kernel instance.
///
/// `@unchecked Sendable`: kernel threads write disjoint parts or only read; the team joins
/// them before anyone else reads.
public final class FloatBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let weightMemory: Bool

    /// - Parameter weightMemory: from `WeightMemory` (huge pages from 2 MiB on, always zeroed):
    ///   for weights repacked at load and streamed on every call.
    public init(count: Int, zeroed: Bool = true, weightMemory: Bool = false) {
        self.count = count
        self.weightMemory = weightMemory
        let raw = weightMemory ? WeightMemory.allocate(byteCount: max(count, 16) * 4)
            : UnsafeMutableRawPointer.allocate(byteCount: max(count, 16) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 16))
        if zeroed && !weightMemory { pointer.initialize(repeating: 0, count: max(count, 16)) }
    }

    public convenience init(random count: Int, seed: UInt64, weightMemory: Bool = false) {
        self.init(count: count, zeroed: false, weightMemory: weightMemory)
        var data = TestData(seed: seed)
        data.fill(pointer, count: count)
    }

    /// A copy of `values` (a model's weights or bias), zero-padded like every buffer.
    public convenience init(copying values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit {
        if weightMemory { WeightMemory.deallocate(pointer) } else { UnsafeMutableRawPointer(pointer).deallocate() }
    }
}

import CUDALibraries
import Kernels
import KernelModel
import PortableKernels

/// A problem's inputs on the device (uploaded once for all trials), its output buffer, and the
/// host copies a sampled reference is computed from.
public protocol GPUProblemData: AnyObject {
    var arguments: [KernelArgument] { get }
    /// Poisons the output (NaN bytes), so a kernel that skips elements fails validation.
    func poisonOutput() throws
    /// The output of the last run against the reference on sampled elements.
    func validate() throws -> Validation
}

/// A GEMM C[M,N] = A[M,K]·W[N,K]ᵀ in fp32, fp16 or bf16 (C in the inputs' type).
public final class GEMMData: GPUProblemData {
    public let m: Int, n: Int, k: Int
    public let precision: Precision
    /// The inputs as the device sees them (rounded to the precision), for the reference.
    let a: [Float], w: [Float]
    let deviceA: DeviceBuffer, deviceW: DeviceBuffer, deviceC: DeviceBuffer
    /// Output elements the validation compares (all of a small problem; 4096 spread ones of a big one).
    static let sampledElements = 4096

    public init(context: CUDAContext, m: Int, n: Int, k: Int, precision: Precision) throws {
        (self.m, self.n, self.k, self.precision) = (m, n, k, precision)
        var generator = TestData(seed: UInt64(m * 31 + n * 17 + k))
        var a = (0..<(m * k)).map { _ in generator.nextUnit() }
        var w = (0..<(n * k)).map { _ in generator.nextUnit() }
        switch precision {
        case .fp32:
            deviceA = try context.upload(a)
            deviceW = try context.upload(w)
            deviceC = try context.allocate(bytes: m * n * 4)
        case .fp16, .bf16:
            let fp16 = precision == .fp16
            let toBits = { (value: Float) -> UInt16 in fp16 ? Float16(value).bitPattern : BFloat16.encode(value) }
            let fromBits = { (bits: UInt16) -> Float in fp16 ? Float(Float16(bitPattern: bits)) : BFloat16.decode(bits) }
            let aBits = a.map(toBits), wBits = w.map(toBits)
            a = aBits.map(fromBits)
            w = wBits.map(fromBits)
            deviceA = try context.upload(aBits)
            deviceW = try context.upload(wBits)
            deviceC = try context.allocate(bytes: m * n * 2)
        default:
            throw GPUError(.unsupported, "GPU GEMMs take fp32, fp16 or bf16 inputs, not \(precision.rawValue)")
        }
        (self.a, self.w) = (a, w)
    }

    public var arguments: [KernelArgument] {
        [.pointer(deviceA), .pointer(deviceW), .pointer(deviceC), .int32(Int32(m)), .int32(Int32(n)), .int32(Int32(k))]
    }

    public func poisonOutput() throws { try deviceC.fill(byte: 0xFF) }

    public func validate() throws -> Validation {
        let output: [Float]
        switch precision {
        case .fp32: output = try deviceC.read(as: Float.self, count: m * n)
        case .fp16: output = try deviceC.read(as: UInt16.self, count: m * n).map { Float(Float16(bitPattern: $0)) }
        default: output = try deviceC.read(as: UInt16.self, count: m * n).map(BFloat16.decode)
        }
        var accumulator = ErrorAccumulator()
        for (index, expected) in reference { accumulator.add(output: output[index], reference: expected) }
        return accumulator.validation(tolerance: precision.tolerance)
    }

    /// The sampled outputs' exact values, computed once for all trials. A stride coprime with N
    /// visits every column class rather than one column.
    private lazy var reference: [(Int, Double)] = {
        let total = m * n
        let step = max(1, total / Self.sampledElements)
        return stride(from: 0, to: total, by: step).map { sample in
            let index = (sample &* 7919) % total
            let row = index / n, column = index % n
            var sum = 0.0
            for p in 0..<k { sum += Double(a[row * k + p]) * Double(w[column * k + p]) }
            return (index, sum)
        }
    }()
}

/// A decode GEMV y[N] = W[N,K]·x[K] with fp16, int8 or int4 weights.
public final class GEMVData: GPUProblemData {
    let n: Int, k: Int
    /// The weights as the kernel computes with them (dequantized), row-major [N, K].
    let weights: [Float]
    let x: [Float]
    let deviceW: DeviceBuffer, deviceScales: DeviceBuffer, deviceX: DeviceBuffer, deviceY: DeviceBuffer

    public init(context: CUDAContext, family: CUDAGEMV) throws {
        (n, k) = (family.n, family.k)
        var generator = TestData(seed: UInt64(n * 13 + k))
        x = (0..<k).map { _ in generator.nextUnit() }
        var bytes: [UInt8] = []
        var scales: [Float] = []
        var weights = [Float](repeating: 0, count: n * k)
        switch family.precision {
        case .fp16:
            var bits: [UInt16] = []
            bits.reserveCapacity(n * k)
            for index in 0..<(n * k) {
                let value = Float16(generator.nextUnit()).bitPattern
                bits.append(value)
                weights[index] = Float(Float16(bitPattern: value))
            }
            bytes = bits.withUnsafeBytes { Array($0) }
        case .int8:
            bytes.reserveCapacity(n * k)
            for row in 0..<n {
                let scale = 0.01 + Float(row % 7) * 0.001
                scales.append(scale)
                for column in 0..<k {
                    let value = Int8(clamping: Int((generator.nextUnit() * 127).rounded()))
                    bytes.append(UInt8(bitPattern: value))
                    weights[row * k + column] = Float(value) * scale
                }
            }
        default:
            let group = family.group
            bytes = [UInt8](repeating: 0, count: n * k / 2)
            for row in 0..<n {
                for start in stride(from: 0, to: k, by: group) {
                    let scale = 0.05 + Float((row + start / group) % 5) * 0.01
                    scales.append(scale)
                    for column in start..<(start + group) {
                        let nibble = UInt8(min(15, max(0, Int((generator.nextUnit() * 7.5 + 8).rounded(.down)))))
                        let index = row * k + column
                        bytes[index / 2] |= index % 2 == 0 ? nibble : nibble << 4
                        weights[index] = Float(Int(nibble) - 8) * scale
                    }
                }
            }
        }
        self.weights = weights
        deviceW = try context.upload(bytes)
        deviceScales = try context.upload(scales.isEmpty ? [Float(1)] : scales)
        deviceX = try context.upload(x)
        deviceY = try context.allocate(bytes: n * 4)
    }

    public var arguments: [KernelArgument] {
        [.pointer(deviceW), .pointer(deviceScales), .pointer(deviceX), .pointer(deviceY), .int32(Int32(n)), .int32(Int32(k))]
    }

    public func poisonOutput() throws { try deviceY.fill(byte: 0xFF) }

    /// Every output element, against sums of the same dequantized weights: only the summation
    /// order differs, so the tolerance is fp32's, not the format's.
    public func validate() throws -> Validation {
        let output = try deviceY.read(as: Float.self, count: n)
        var accumulator = ErrorAccumulator()
        for row in 0..<n { accumulator.add(output: output[row], reference: reference[row]) }
        return accumulator.validation(tolerance: 1e-4)
    }

    /// Every row's exact value, computed once for all trials.
    private lazy var reference: [Double] = (0..<n).map { row in
        var sum = 0.0
        for column in 0..<k { sum += Double(weights[row * k + column]) * Double(x[column]) }
        return sum
    }
}

import CUDALibraries
import Foundation
import Kernels
import PortableKernels

/// The buffers and scalars of a user kernel's arguments: inputs filled with deterministic data,
/// outputs poisoned before each validation run and compared with a reference — the values given
/// (`--reference NAME=FILE`, read by the caller), or else the first configuration's output (then
/// a configuration is checked against another, not against the truth: the report says so).
public final class UserKernelData: GPUProblemData {
    let family: CUDAUserKernel
    let buffers: [String: DeviceBuffer]
    let scalars: [String: KernelArgument]
    let counts: [String: Int]
    public private(set) var reference: [String: [Float]]
    /// Whether the reference was given (else it is the first configuration's output).
    public let referenceFromFiles: Bool
    public var tolerance: Double

    /// - Parameter references: expected values of output buffers, by argument name.
    public init(context: CUDAContext, family: CUDAUserKernel, references given: [String: [Float]], tolerance: Double = 1e-6) throws {
        self.family = family
        self.tolerance = tolerance
        let sizes = family.problem.mapValues(Double.init)
        var buffers: [String: DeviceBuffer] = [:], scalars: [String: KernelArgument] = [:], counts: [String: Int] = [:]
        var generator = TestData(seed: 12345)
        for argument in family.arguments {
            switch argument.kind {
            case .buffer(let countText, let output):
                let count = Int(try ParameterExpression(countText).evaluate(sizes).rounded(.up))
                guard count > 0 else { throw GPUError(.unsupported, "argument \(argument.name): \(countText) is \(count) elements") }
                counts[argument.name] = count
                let bytes = count * CUDAUserKernel.Argument.bufferTypes[argument.type]!
                let buffer = try context.allocate(bytes: bytes)
                if !output { try buffer.copy(from: Self.inputBytes(type: argument.type, count: count, generator: &generator)) }
                buffers[argument.name] = buffer
            case .scalar(let valueText):
                let value = try ParameterExpression(valueText).evaluate(sizes)
                scalars[argument.name] = argument.type == "float" ? .float(Float(value)) : argument.type == "long" ? .int64(Int64(value)) : .int32(Int32(value))
            }
        }
        (self.buffers, self.scalars, self.counts) = (buffers, scalars, counts)
        for (name, values) in given {
            guard let argument = family.arguments.first(where: { $0.name == name }), case .buffer(_, true) = argument.kind else {
                throw GPUError(.unsupported, "--reference \(name): \(name) is not an output buffer argument")
            }
            guard values.count == counts[name] else {
                throw GPUError(.unsupported, "--reference \(name): \(values.count) values, but \(name) has \(counts[name]!) elements")
            }
        }
        reference = given
        referenceFromFiles = !given.isEmpty
    }

    static func inputBytes(type: String, count: Int, generator: inout TestData) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * CUDAUserKernel.Argument.bufferTypes[type]!)
        for _ in 0..<count {
            let value = generator.nextUnit()
            switch type {
            case "float": withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            case "half": withUnsafeBytes(of: Float16(value).bitPattern.littleEndian) { bytes += $0 }
            case "bf16": withUnsafeBytes(of: BFloat16.encode(value).littleEndian) { bytes += $0 }
            case "int": withUnsafeBytes(of: Int32(value * 100).littleEndian) { bytes += $0 }
            case "int8": bytes.append(UInt8(bitPattern: Int8(value * 127)))
            default: bytes.append(UInt8(value * 127 + 128))  // uint8
            }
        }
        return bytes
    }

    public var arguments: [KernelArgument] {
        family.arguments.map { argument in
            if let buffer = buffers[argument.name] { return .pointer(buffer) }
            return scalars[argument.name]!
        }
    }

    var outputs: [CUDAUserKernel.Argument] {
        family.arguments.filter { if case .buffer(_, true) = $0.kind { true } else { false } }
    }

    public func poisonOutput() throws {
        for output in outputs { try buffers[output.name]!.fill(byte: 0xFF) }
    }

    public func validate() throws -> Validation {
        var accumulator = ErrorAccumulator()
        var firstRun = false
        for output in outputs {
            let values = try read(output)
            guard let expected = reference[output.name] else {
                reference[output.name] = values
                firstRun = true
                continue
            }
            for (value, wanted) in zip(values, expected) { accumulator.add(output: value, reference: Double(wanted)) }
        }
        if firstRun {
            // The first configuration defines the reference; a NaN in it (an element the kernel
            // never wrote, still poisoned) makes it unusable.
            let values = outputs.flatMap { reference[$0.name]! }
            if values.contains(where: { !$0.isFinite }) {
                outputs.forEach { reference[$0.name] = nil }
                return Validation(relativeError: .infinity, tolerance: tolerance, checkedElements: values.count)
            }
            return Validation(relativeError: 0, tolerance: tolerance, checkedElements: values.count)
        }
        return accumulator.validation(tolerance: tolerance)
    }

    func read(_ argument: CUDAUserKernel.Argument) throws -> [Float] {
        let buffer = buffers[argument.name]!, count = counts[argument.name]!
        switch argument.type {
        case "float": return try buffer.read(as: Float.self, count: count)
        case "half": return try buffer.read(as: UInt16.self, count: count).map { Float(Float16(bitPattern: $0)) }
        case "bf16": return try buffer.read(as: UInt16.self, count: count).map(BFloat16.decode)
        case "int": return try buffer.read(as: Int32.self, count: count).map { Float($0) }
        case "int8": return try buffer.read(as: Int8.self, count: count).map { Float($0) }
        default: return try buffer.read(as: UInt8.self, count: count).map { Float($0) }
        }
    }
}

extension CUDAUserKernel.Argument {
    /// Raw little-endian values of this buffer's type as floats (a reference output written
    /// with `ndarray.tofile`); nil when the byte count is not a whole number of values.
    public func decodeRaw(_ bytes: [UInt8]) -> [Float]? {
        let size = Self.bufferTypes[type] ?? 4
        guard bytes.count % size == 0 else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / size)).map { index -> Float in
                let offset = index * size
                switch type {
                case "float": return Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                case "half": return Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
                case "bf16": return BFloat16.decode(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                case "int": return Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
                case "int8": return Float(Int8(bitPattern: bytes[offset]))
                default: return Float(bytes[offset])
                }
            }
        }
    }
}

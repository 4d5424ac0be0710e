import CUDALibraries
import Foundation
import Kernels

/// The buffers and scalars of a user kernel's arguments: inputs filled with deterministic data,
/// outputs poisoned before each validation run and compared with a reference — the files given
/// with `--reference NAME=FILE`, or else the first configuration's output (then a configuration
/// is checked against another, not against the truth: the report says so).
public final class UserKernelData: GPUProblemData {
    let family: CUDAUserKernel
    let buffers: [String: DeviceBuffer]
    let scalars: [String: KernelArgument]
    let counts: [String: Int]
    public private(set) var reference: [String: [Float]]
    /// Whether the reference came from files (else from the first configuration run).
    public let referenceFromFiles: Bool
    public var tolerance: Double

    public init(context: CUDAContext, family: CUDAUserKernel, referenceFiles: [String: String], tolerance: Double = 1e-6) throws {
        self.family = family
        self.tolerance = tolerance
        let sizes = family.problem.mapValues(Double.init)
        var buffers: [String: DeviceBuffer] = [:], scalars: [String: KernelArgument] = [:], counts: [String: Int] = [:]
        var generator = InputGenerator(seed: 12345)
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
        var reference: [String: [Float]] = [:]
        for (name, path) in referenceFiles {
            guard let argument = family.arguments.first(where: { $0.name == name }), case .buffer(_, true) = argument.kind else {
                throw GPUError(.unsupported, "--reference \(name)=\(path): \(name) is not an output buffer argument")
            }
            let values = try ReferenceFile.read(path: path, type: argument.type)
            guard values.count == counts[name] else {
                throw GPUError(.unsupported, "\(path): \(values.count) values, but \(name) has \(counts[name]!) elements")
            }
            reference[name] = values
        }
        self.reference = reference
        referenceFromFiles = !referenceFiles.isEmpty
    }

    static func inputBytes(type: String, count: Int, generator: inout InputGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count * CUDAUserKernel.Argument.bufferTypes[type]!)
        for _ in 0..<count {
            let value = generator.next()
            switch type {
            case "float": withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            case "half": withUnsafeBytes(of: HostHalf.fp16Bits(value).littleEndian) { bytes += $0 }
            case "bf16": withUnsafeBytes(of: HostHalf.bf16Bits(value).littleEndian) { bytes += $0 }
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
        case "half": return try buffer.read(as: UInt16.self, count: count).map(HostHalf.fp16Value)
        case "bf16": return try buffer.read(as: UInt16.self, count: count).map(HostHalf.bf16Value)
        case "int": return try buffer.read(as: Int32.self, count: count).map { Float($0) }
        case "int8": return try buffer.read(as: Int8.self, count: count).map { Float($0) }
        default: return try buffer.read(as: UInt8.self, count: count).map { Float($0) }
        }
    }
}

/// A reference output: a `.npy` file of float32, float64 or int32, or raw little-endian values
/// of the argument's type.
enum ReferenceFile {
    static func read(path: String, type: String) throws -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GPUError(.unsupported, "\(path): cannot read the reference output")
        }
        let bytes = [UInt8](data)
        if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) { return try npy(bytes, path: path) }
        let size = CUDAUserKernel.Argument.bufferTypes[type]!
        guard bytes.count % size == 0 else { throw GPUError(.unsupported, "\(path): \(bytes.count) bytes is not a whole number of \(type) values") }
        return decode(bytes, type: type)
    }

    static func decode(_ bytes: [UInt8], type: String) -> [Float] {
        bytes.withUnsafeBytes { raw in
            switch type {
            case "float": return (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            case "half": return (0..<(bytes.count / 2)).map { HostHalf.fp16Value(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case "bf16": return (0..<(bytes.count / 2)).map { HostHalf.bf16Value(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
            case "int": return (0..<(bytes.count / 4)).map { Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self))) }
            case "int8": return bytes.map { Float(Int8(bitPattern: $0)) }
            default: return bytes.map { Float($0) }
            }
        }
    }

    /// NumPy's format 1.0/2.0: magic, version, header length, a dict naming dtype and order.
    static func npy(_ bytes: [UInt8], path: String) throws -> [Float] {
        guard bytes.count >= 10 else { throw GPUError(.unsupported, "\(path): a truncated .npy header") }
        let major = bytes[6]
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : bytes.count >= 12 ? Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24 : -1
        let start = major == 1 ? 10 : 12
        guard headerLength > 0, start + headerLength <= bytes.count else { throw GPUError(.unsupported, "\(path): a truncated .npy header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard !header.contains("'fortran_order': True") else { throw GPUError(.unsupported, "\(path): Fortran-ordered arrays are not read") }
        let body = Array(bytes[(start + headerLength)...])
        if header.contains("'<f4'") { return decode(body, type: "float") }
        if header.contains("'<i4'") { return decode(body, type: "int") }
        if header.contains("'<f8'") {
            return body.withUnsafeBytes { raw in (0..<(body.count / 8)).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) } }
        }
        throw GPUError(.unsupported, "\(path): .npy dtype must be <f4, <f8 or <i4 (\(header.trimmingCharacters(in: .whitespacesAndNewlines)))")
    }
}
